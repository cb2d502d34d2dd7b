"""The committed dashboards are exactly what the generator in grafana/dashboards_src makes,
and they are wired the way the stack provisions them."""

from __future__ import annotations

import re

import pytest

from agent_analytics.vocabulary import roi
from agent_analytics.vocabulary.facts import ROI_DEFAULTS
from grafana.dashboards_src import build
from tests.support.grafana_queries import load_dashboards, targets


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
    for var in board["templating"]["list"]:
        if var["type"] == "query" and var["query"].startswith("label_values("):
            assert var["includeAll"] and var["allValue"] == ".*"
        if var["type"] == "query":
            assert var["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24


BUILT_IN = {"__range", "__range_s", "__range_ms", "__interval", "__interval_ms", "__rate_interval", "1"}
VARIABLE = re.compile(r"\$\{?([A-Za-z_0-9]+)")


@pytest.mark.parametrize("name", sorted(build.DASHBOARDS))
def test_every_variable_a_dashboard_offers_filters_one_of_its_panels_and_none_is_missing(name):
    board = load_dashboards()[name]
    offered = {v["name"] for v in board["templating"]["list"] if v["type"] != "datasource"}
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    used = {v for expr in exprs for v in VARIABLE.findall(expr)} - BUILT_IN
    assert used == offered, f"{name}: offered but unused {offered - used}, used but not offered {used - offered}"


def test_the_dashboards_offer_what_their_panels_can_filter():
    offered = {
        name: [v["name"] for v in board["templating"]["list"] if v["type"] != "datasource"]
        for name, board in load_dashboards().items()
    }
    assert offered == {
        "ai-spend-roi.json": ["team", "developer", "model", "agent", "hourly_rate_usd", "minutes_per_commit"],
        "budgets.json": ["team"],
        "claude-code-usage.json": ["team", "developer", "model"],
        "github-copilot.json": ["github_team"],
        "plan-limits.json": ["team", "developer"],
        "productivity.json": ["team", "developer", "agent"],
    }


def test_roi_inputs_are_variables_that_default_to_the_exporters_roi_config():
    board = load_dashboards()["ai-spend-roi.json"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    for name, key in (
        ("hourly_rate_usd", "hourly_rate_usd"),
        ("minutes_per_commit", "minutes_saved_per_assisted_commit"),
    ):
        assert variables[name]["query"] == (
            f"query_result(max(last_over_time(agent_analytics_roi_{key}[$__range])) or vector({ROI_DEFAULTS[key]:g}))"
        )
        assert variables[name]["allowCustomValue"] and "current" not in variables[name]  # the query's value first
    assert "minutes_per_line" not in variables  # lines are not credited beside the commits that hold them
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p.get("targets", []))
    assert "$hourly_rate_usd" in exprs and "$minutes_per_commit" in exprs


def test_gemini_cli_tokens_are_beside_claude_codes():
    board = load_dashboards()["claude-code-usage.json"]
    panel = next(p for p in board["panels"] if p["title"] == "Claude Code and Gemini CLI tokens by model")
    exprs = [t["expr"] for t in panel["targets"]]
    assert "claude_code_token_usage_tokens" in exprs[0] and "gemini_cli_token_usage" in exprs[1]


# raw series and the dashboard variables their labels answer to (recording rules are per team)
FILTERS = {
    "claude_code_cost_usage_USD_total": ("team", "developer", "model"),
    "claude_code_token_usage_tokens_total": ("team", "developer", "model"),
    "claude_code_lines_of_code_count_total": ("team", "developer", "model"),
    "claude_code_": ("team", "developer"),
    "gemini_cli_token_usage": ("team", "developer", "model"),
    "agent_analytics_git_": ("team", "developer", "agent"),
}
LABEL_OF = {"team": "team_id", "developer": "developer_id", "model": "model", "agent": "agent"}


def test_every_selector_of_agent_and_git_series_applies_the_dashboard_variables():
    """Picking a team, developer, model or agent changes every panel whose series carry the label."""
    missing = []
    for target in targets("prometheus"):
        for metric, labels in re.findall(r'([a-zA-Z_:]+|\{__name__=~"[^"]+")(?:,\s*|\{)([^}]*)\}', target.expr):
            name = metric.removeprefix('{__name__=~"').rstrip('"')
            prefix = next((p for p in FILTERS if name.startswith(p)), None)
            if prefix is None:
                continue
            for variable in FILTERS[prefix]:
                if f'{LABEL_OF[variable]}=~"${variable}"' not in labels:
                    missing.append(f"{target}: {name} without ${variable}")
        bare = re.findall(r"(?<![:\w])((?:claude_code_|agent_analytics_git_)\w+)\b(?![{\w])", target.expr)
        missing += [f"{target}: {name} without any filter" for name in bare]
    assert not missing, "\n".join(sorted(set(missing)))


def test_the_roi_headline_is_the_range_with_the_break_even_and_each_presets_assumptions_beside_it():
    board = load_dashboards()["ai-spend-roi.json"]
    rows = [p for p in board["panels"] if p["type"] == "row"]
    assert rows[0]["title"].startswith("ROI: a range over published evidence, not one number")
    first = [p for p in board["panels"] if rows[0]["gridPos"]["y"] < p["gridPos"]["y"] < rows[1]["gridPos"]["y"]]
    value, break_even, assumptions = first
    assert (value["title"], value["fieldConfig"]["defaults"]["unit"]) == (
        "Value of the hours saved, time-based",
        "currencyUSD",
    )
    assert value["targets"][0]["legendFormat"] == "{{preset}}"  # one value per preset, side by side
    assert break_even["title"] == "Break-even: hours saved per active developer per week"
    content = assumptions["options"]["content"]
    for name, preset in roi.PRESETS.items():
        hours = " | ".join(f"{h:g}" for h in preset.hours_per_week.values())
        assert f"| **{name}** | {hours} | +{preset.output_uplift:.0%} |" in content
    # no net-return percentage heads the dashboard
    assert all(p["fieldConfig"]["defaults"].get("unit") != "percentunit" for p in first if "fieldConfig" in p)
