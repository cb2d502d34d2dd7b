"""promtool: the Prometheus config and the rule files are valid, and the unit tests in
prometheus/tests cover every recording rule and every alert, firing and not firing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent_analytics.vocabulary import facts, hourly, roi, series
from agent_analytics.vocabulary.promql import growth
from prometheus.rules_src import build
from tests.support.docs_site import element_ids
from tests.support.grafana_queries import RULES
from tests.support.promtool import UNIT_TESTS, promtool

pytestmark = pytest.mark.prometheus

ROOT = Path(__file__).resolve().parents[2]


def test_committed_recording_and_alert_rules_equal_the_generated_ones(tmp_path, monkeypatch, capsys):
    for path, text in build.outputs().items():
        assert path.read_text() == text, f"{path.name}: run python prometheus/rules_src/build.py"
    monkeypatch.setattr(build, "GROUPS", {tmp_path / path.name: group for path, group in build.GROUPS.items()})
    monkeypatch.setattr(build, "ALERT_FILES", {tmp_path / path.name: key for path, key in build.ALERT_FILES.items()})
    assert build.main([]) == 0 and build.main(["--check"]) == 0
    for path in build.outputs():
        original = path.read_text()
        path.write_text("groups: []\n")
        assert build.main(["--check"]) == 1 and path.name in capsys.readouterr().out
        path.write_text(original)
    assert build.main(["--check"]) == 0


def alert_rules(text: str) -> list[dict]:
    return [r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r]


def test_every_alert_links_its_runbook_under_the_configured_absolute_base(tmp_path, monkeypatch):
    committed = [rule for path in build.ALERT_FILES for rule in alert_rules(path.read_text())]
    assert len(committed) == 13
    for rule in committed:
        url = rule["annotations"]["runbook_url"]
        assert url == f"{facts.RUNBOOK_BASE_URL}#runbook-{rule['alert'].lower()}"
        assert url.startswith("https://")
    # another base: every link moves to it, nothing else in the rules changes
    monkeypatch.setattr(build, "GROUPS", {tmp_path / path.name: group for path, group in build.GROUPS.items()})
    monkeypatch.setattr(build, "ALERT_FILES", {tmp_path / path.name: key for path, key in build.ALERT_FILES.items()})
    assert build.main(["--runbook-base-url", "https://wiki.example.org/ops/agent-analytics"]) == 0
    moved = [rule for path in build.ALERT_FILES for rule in alert_rules(path.read_text())]
    assert [r["annotations"]["runbook_url"] for r in moved] == [
        f"https://wiki.example.org/ops/agent-analytics#runbook-{r['alert'].lower()}" for r in committed
    ]
    for rule in moved:
        rule["annotations"].pop("runbook_url")
    for rule in committed:
        rule["annotations"].pop("runbook_url")
    assert moved == committed
    assert build.main(["--check"]) == 1  # the committed default differs from that base


def test_alerts_read_windows_factors_and_jobs_from_the_monitoring_module():
    exprs = {r["alert"]: r["expr"] for r in alert_rules(build.ALERTS_OUT.read_text())}
    fast = facts.FAST_BURN
    assert f"{series.burn_rate(fast.long)} > {fast.factor:g}" in exprs["AgentSpendFastBurn"]
    assert f"{series.burn_rate(fast.short)} > {fast.factor:g}" in exprs["AgentSpendFastBurn"]
    for c in facts.SLOW_BURNS:
        assert f"{series.burn_rate(c.long)} > {c.factor:g}" in exprs["AgentSpendSlowBurn"]
        assert f"{series.burn_rate(c.short)} > {c.factor:g}" in exprs["AgentSpendSlowBurn"]
    records = {
        r["record"]
        for path in build.recording()
        for g in yaml.safe_load(path.read_text())["groups"]
        for r in g["rules"]
    }
    assert {series.burn_rate(w) for w in facts.BURN_WINDOWS} <= records
    assert f'up{{job="{facts.JOB_EXPORTER}"}}' in exprs["AgentAnalyticsExporterDown"]
    assert f'up{{job="{facts.JOB_COLLECTOR}"}}' in exprs["AgentAnalyticsCollectorDown"]


def test_counter_windows_of_the_rules_are_growth():
    exprs = {
        r["record"]: r["expr"]
        for path in build.recording()
        for g in yaml.safe_load(path.read_text())["groups"]
        for r in g["rules"]
    }
    cost, commits = "claude_code_cost_usage_USD_total", "agent_analytics_git_commits_total"
    # growth() made safe across gaps in the samples (prometheus/tests/scrape_gap_test.yml)
    assert build.safe_growth(cost, "1h") in exprs["team_developer_model:claude_code_cost_usd:increase1h"]
    assert build.safe_growth(commits, "1d") in exprs["team_agent_evidence:git_commits:increase1d"]
    now, reset = f"last_over_time({cost}[1h])", f"(resets({cost}[1h]) > 0)"
    assert now in growth(cost, "1h") and reset in growth(cost, "1h")
    assert now in build.safe_growth(cost, "1h") and reset in build.safe_growth(cost, "1h")
    for window, seconds in (("5m", 300), ("30m", 1800), ("1h", 3600), ("2h", 7200), ("6h", 21600), ("1d", 86400)):
        expr = exprs[f"team:agent_spend_usd:rate{window}"]
        assert build.safe_growth(cost, window) in expr and expr.rstrip().endswith(f"/ {seconds}")
        assert f"last_over_time({cost}[{window}])" in expr and f"increase({cost}[{window}])" in expr
    # no counter is read with a bare instant selector and offset any more (it misses series
    # without a sample in the last 5 minutes)
    assert not any(" offset " in e.replace("] offset ", "") for e in exprs.values())


def test_prometheus_config_with_its_rules_is_valid(tmp_path):
    # the compose file mounts rules at /etc/prometheus/rules; point the copy at the repository's
    config = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    config["rule_files"] = [str(ROOT / "prometheus" / "rules" / "*.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    done = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(RULES)} rule files found" in done.stdout


def test_rule_files_are_valid():
    done = promtool("check", "rules", *map(str, RULES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_unit_tests_read_the_expressions_the_panels_read():
    """The expressions the promtool tests spell out are those the dashboards and `report` build."""
    hourly_tests = (ROOT / "prometheus" / "tests" / "hourly_rules_test.yml").read_text()
    cost = series.CLAUDE_COST
    assert hourly.by_step(cost, "2h", by="developer_id") in hourly_tests
    assert " ".join(hourly.by_hour_and_weekday(cost, "3h").split()) in " ".join(hourly_tests.split())
    active_days = (ROOT / "prometheus" / "tests" / "active_days_test.yml").read_text()
    for span in ("1d", "2d"):
        assert roi.active_days_promql("claude_code_active_time_seconds_total", series.VENDOR_COST, span) in active_days


def test_a_wrong_expectation_fails(tmp_path):
    """The unit tests can fail: the Loki alert test expecting another failure rate does."""
    source = ROOT / "prometheus" / "tests" / "pipeline_alerts_test.yml"
    broken = source.read_text().replace("forward 0.02 log records", "forward 0.03 log records")
    assert broken != source.read_text()
    copy = tmp_path / source.name
    copy.write_text(broken.replace("../rules/", str(ROOT / "prometheus" / "rules") + "/"))
    done = promtool("test", "rules", str(copy))
    assert done.returncode != 0 and "forward 0.02 log records" in done.stdout + done.stderr


def test_every_rule_has_unit_tests_and_every_alert_fires_and_stays_quiet_somewhere():
    records, alerts = set(), set()
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                (records if "record" in rule else alerts).add(rule.get("record") or rule.get("alert"))
    tested_exprs, firing, quiet = [], set(), set()
    for path in UNIT_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            tested_exprs += [t["expr"] for t in case.get("promql_expr_test", [])]
            for t in case.get("alert_rule_test", []):
                (firing if t.get("exp_alerts") else quiet).add(t["alertname"])
    untested = {r for r in records if not any(r in expr for expr in tested_exprs)}
    assert not untested
    assert firing == alerts, alerts - firing
    assert quiet == alerts, alerts - quiet


def test_every_alert_has_summary_description_and_a_runbook_on_the_docs_site(docs_site):
    alerts = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                alerts.append(rule["alert"])
                notes = rule["annotations"]
                assert notes["summary"] and notes["description"], rule["alert"]
                assert rule["labels"]["severity"] in ("page", "ticket")
                url, _, anchor = notes["runbook_url"].partition("#")
                assert anchor == f"runbook-{rule['alert'].lower()}"
                page = docs_site.page(url)
                assert page.is_file(), f"{rule['alert']}: {url} is no page of the docs site"
                assert anchor in element_ids(page), f"the runbooks page has no section #{anchor}"
    # and no runbook is left for an alert that is gone
    runbook_ids = {i for i in element_ids(docs_site.page(facts.RUNBOOK_BASE_URL)) if i.startswith("runbook-")}
    assert runbook_ids == {f"runbook-{a.lower()}" for a in alerts}
