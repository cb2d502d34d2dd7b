"""Every PromQL target of every dashboard and every rule expression runs against a real
Prometheus that scraped the embedded collector (fed the recorded Claude Code payloads) and
the exporter (scanning a real git repository); the key panels equal the ground truth."""

from __future__ import annotations

import time

import pytest

from tests.support import ground_truth, loopback
from tests.support.grafana_queries import Target, rule_expressions, substitute, targets
from tests.support.live_stack import ASSISTED_COMMITS, COMMITS, DEVELOPER, TEAM

pytestmark = pytest.mark.prometheus

PROMQL_TARGETS = targets("prometheus")


def run(prometheus, target: Target) -> list[dict]:
    """The query as Grafana sends it: instant, or a range over the last minute at a 5 s step."""
    end = time.time()
    expr = substitute(target, prometheus=prometheus, at=end)  # the ROI variables as Grafana reads them
    if target.instant:
        return prometheus.query(expr, at=end)
    return prometheus.query_range(expr, end - 60, end, 5)


def panel(title: str, dashboard: str) -> Target:
    found = [t for t in PROMQL_TARGETS if t.panel == title and t.dashboard == dashboard]
    assert len(found) == 1, f"{dashboard} / {title}: {len(found)} targets"
    return found[0]


def values_by(result: list[dict], label: str) -> dict[str, float]:
    return {s["metric"].get(label, ""): float(s["value"][1]) for s in result}


def single(result: list[dict]) -> float:
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def test_the_dashboards_have_promql_targets():
    boards = {t.dashboard for t in PROMQL_TARGETS}
    assert boards == {"AI spend & ROI", "Claude Code usage", "Productivity", "GitHub Copilot", "Budgets", "Plan limits"}
    assert len(PROMQL_TARGETS) >= 60


def test_every_promql_target_runs_without_error(live_stack):
    failures = []
    for target in PROMQL_TARGETS:
        try:
            run(live_stack.prometheus, target)
        except AssertionError as e:
            failures.append(f"{target}: {e}")
    assert not failures, "\n".join(failures)


def test_every_rule_expression_runs_and_every_rule_is_healthy(live_stack):
    for name, expr in rule_expressions():
        try:
            live_stack.prometheus.query(expr)
        except AssertionError as e:
            raise AssertionError(f"rule {name}: {e}") from None
    groups = loopback.get(f"{live_stack.prometheus.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == len(rule_expressions())
    unhealthy = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    assert not unhealthy


def test_total_spend_equals_the_recorded_cost(live_stack):
    truth = ground_truth.total(live_stack.fixtures, "claude_code.cost.usage")
    got = single(run(live_stack.prometheus, panel("Usage spend", "AI spend & ROI")))
    assert got == pytest.approx(truth, rel=1e-9)
    # the same figure through the recording rule the hourly panel reads
    hourly = live_stack.prometheus.scalar("sum(team_developer_model:claude_code_cost_usd:increase1h)")
    assert hourly == pytest.approx(truth, rel=1e-9)


def test_spend_by_model_equals_the_recorded_cost_per_normalised_model(live_stack):
    truth = ground_truth.total_by(live_stack.fixtures, "claude_code.cost.usage", "model")
    assert all("[" not in model for model in truth)
    got = values_by(run(live_stack.prometheus, panel("Usage spend by model", "AI spend & ROI")), "model")
    assert got == pytest.approx(truth, rel=1e-9)


def test_spend_per_developer_and_team_carry_the_header_identity(live_stack):
    truth = ground_truth.total(live_stack.fixtures, "claude_code.cost.usage")
    rows = run(live_stack.prometheus, panel("Usage spend by developer", "AI spend & ROI"))
    assert [r["metric"]["developer_id"] for r in rows] == [DEVELOPER]
    assert float(rows[0]["value"][1]) == pytest.approx(truth, rel=1e-9)
    teams = run(live_stack.prometheus, panel("Usage spend by team (seats are not split by team)", "AI spend & ROI"))
    assert values_by(teams, "team_id") == pytest.approx({TEAM: truth}, rel=1e-9)


def test_tokens_by_type_equal_the_recorded_tokens(live_stack):
    truth = ground_truth.total_by(live_stack.fixtures, "claude_code.token.usage", "type")
    assert set(truth) == {"input", "output", "cacheRead", "cacheCreation"}
    got = values_by(run(live_stack.prometheus, panel("Claude Code tokens by type", "Claude Code usage")), "type")
    assert got == pytest.approx(truth, rel=1e-9)


def test_sessions_and_edit_decisions_equal_the_recordings(live_stack):
    sessions = ground_truth.total(live_stack.fixtures, "claude_code.session.count")
    assert single(run(live_stack.prometheus, panel("Claude Code sessions", "Claude Code usage"))) == sessions
    decisions = ground_truth.total_by(live_stack.fixtures, "claude_code.code_edit_tool.decision", "decision")
    rate = single(run(live_stack.prometheus, panel("Claude Code edit accept rate", "Claude Code usage")))
    assert rate == pytest.approx(decisions.get("accept", 0) / sum(decisions.values()))


def test_assisted_commits_equal_the_repository(live_stack):
    for board in ("Productivity", "AI spend & ROI"):
        assert single(run(live_stack.prometheus, panel("Assisted commits", board))) == ASSISTED_COMMITS
    assert single(run(live_stack.prometheus, panel("Commits", "Productivity"))) == len(COMMITS)
    by_agent = values_by(run(live_stack.prometheus, panel("Commits by agent", "Productivity")), "agent")
    assert by_agent == {"claude-code": 3, "copilot": 1, "none": 2}
    share = single(run(live_stack.prometheus, panel("Assisted share of commits", "Productivity")))
    assert share == pytest.approx(ASSISTED_COMMITS / len(COMMITS))


def test_cost_per_assisted_commit_and_roi_follow_from_the_same_figures(live_stack):
    spend = ground_truth.total(live_stack.fixtures, "claude_code.cost.usage")
    title = "Usage spend per commit assisted by an agent billed by use"
    per_commit = single(run(live_stack.prometheus, panel(title, "AI spend & ROI")))
    assert per_commit == pytest.approx(spend / 3)  # Claude Code's 3 commits; Copilot's is paid by seats
    hours = single(run(live_stack.prometheus, panel("Hours saved, your minutes per assisted commit", "AI spend & ROI")))
    # dashboard default: 15 min per assisted commit; lines are not credited again
    assert hours == pytest.approx(ASSISTED_COMMITS * 15 / 60)
    seats = single(run(live_stack.prometheus, panel("Seat licences per month", "AI spend & ROI")))
    assert seats == 4 * 100  # claude-code seats x price; no Copilot seat data here


def test_budget_panels_read_the_configured_budget(live_stack):
    target = [t for t in PROMQL_TARGETS if t.panel == "Budgets" and "monthly" in t.expr][0]
    assert values_by(run(live_stack.prometheus, target), "team_id") == {TEAM: 500}
