"""The committed dashboards are exactly what the generator in grafana/dashboards_src makes,
and they are wired the way the stack provisions them."""

from __future__ import annotations

import pytest

from grafana.dashboards_src import build
from tests.stack.grafana_queries import load_dashboards


def test_committed_dashboards_equal_the_generated_ones():
    rendered = build.render()
    committed = {p.name: p.read_text() for p in build.OUT.glob("*.json")}
    assert set(committed) == set(rendered)
    for name, text in rendered.items():
        assert committed[name] == text, f"{name} is stale: run python grafana/dashboards_src/build.py"


def test_the_check_mode_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    for name, text in build.render().items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(build, "OUT", tmp_path)
    assert build.main(["--check"]) == 0
    (tmp_path / "budgets.json").write_text("{}")
    assert build.main(["--check"]) == 1
    assert "budgets.json" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(build.DASHBOARDS))
def test_dashboard_shape(name):
    board = load_dashboards()[name]
    assert board["uid"].startswith("aa-") and board["title"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    for var in ("team", "developer", "model", "agent"):
        assert variables[var]["includeAll"] and variables[var]["allValue"] == ".*"
        assert variables[var]["datasource"]["uid"] == "aa-prometheus"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] in ("aa-prometheus", "aa-loki")
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24


def test_roi_assumptions_are_dashboard_variables():
    board = load_dashboards()["ai-spend-roi.json"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    for name in ("hourly_rate_usd", "minutes_per_line", "minutes_per_commit"):
        assert variables[name]["type"] == "textbox" and float(variables[name]["query"]) > 0
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p.get("targets", []))
    assert "$hourly_rate_usd" in exprs and "$minutes_per_line" in exprs and "$minutes_per_commit" in exprs


def test_gemini_cli_tokens_are_beside_claude_codes():
    board = load_dashboards()["claude-code-usage.json"]
    panel = next(p for p in board["panels"] if p["title"] == "Claude Code and Gemini CLI tokens by model")
    exprs = [t["expr"] for t in panel["targets"]]
    assert "claude_code_token_usage_tokens_total" in exprs[0] and "gemini_cli_token_usage" in exprs[1]
