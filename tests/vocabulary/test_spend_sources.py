"""Every agent's spend from telemetry and the vendors' day series in a real Prometheus: each
window (7d, 30d, month to date) holds each day once, one source per agent and developer as
spend_source says, and the reconciliation and rollout coverage show both sides."""

from __future__ import annotations

import pytest

from agent_analytics.vocabulary import spend
from tests.support import spend_history as h
from tests.support.grafana_queries import substitute, targets
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus

MODES = ("auto", "telemetry", "vendor_api")


@pytest.fixture(scope="module")
def proms():
    """One Prometheus per spend_source mode of claude-code, all holding the same history."""
    started = {}
    try:
        for mode in MODES:
            prom = Prometheus(remote_write=True).start()
            started[mode] = prom
            h.history().write(prom.url, None if mode == "auto" else {"claude-code": mode})
        yield started
    finally:
        for prom in started.values():
            prom.stop()


def by(prom, expr: str, label: str, zeros: bool = False) -> dict[str, float]:
    """The result by `label`; a telemetry series without growth in the window gives 0, left out
    unless `zeros`."""
    rows = {r["metric"].get(label, ""): float(r["value"][1]) for r in prom.query(expr, at=h.END)}
    return {k: v for k, v in rows.items() if v or zeros}


def window(name: str) -> spend.Window:
    return spend.Window(f"{h.END - h.WINDOWS[name]}s")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(h.WINDOWS))
def test_spend_per_agent_and_developer_equals_the_ground_truth(proms, mode, name):
    prom, w = proms[mode], window(name)
    truth = h.expected(name, None if mode == "auto" else {"claude-code": mode})
    assert by(prom, spend.spend_by_agent(w), "agent") == pytest.approx(truth["by_agent"], rel=1e-12)
    assert by(prom, spend.total_spend(w, "developer_id"), "developer_id") == pytest.approx(
        truth["by_developer"], rel=1e-12
    )
    (total,) = prom.query(spend.total_spend(w), at=h.END)
    assert float(total["value"][1]) == pytest.approx(truth["total"], rel=1e-12)


def test_a_developer_in_telemetry_and_the_admin_api_counts_once(proms):
    w = window("30d")
    # ana: 10 USD by telemetry, 5.5 by the Admin API; bob: 13.5 by the Admin API only
    teams = by(proms["auto"], spend.total_spend(w, "team_id", 'team_id="platform"'), "team_id")
    assert teams == pytest.approx({"platform": 10.0 + 13.5}, rel=1e-12)
    assert by(proms["vendor_api"], spend.total_spend(w, "team_id", 'team_id="platform"'), "team_id") == (
        pytest.approx({"platform": 5.5 + 13.5}, rel=1e-12)
    )


def test_the_reconciliation_shows_both_sources_and_the_difference(proms):
    w = window("30d")
    rec = spend.reconciliation("claude-code", w)
    for mode in MODES:  # whatever spend_source picks
        prom = proms[mode]
        # ana, whom both see, side by side; bob, whom only the Admin API sees, apart
        assert by(prom, rec["telemetry_usd"], "developer_id") == {"ana": 10.0}
        assert by(prom, rec["vendor_usd"], "developer_id") == pytest.approx({"ana": 5.5}, rel=1e-12)
        difference = by(prom, rec["difference_usd"], "developer_id", zeros=True)
        assert difference == pytest.approx({"ana": 4.5}, rel=1e-12)
        assert by(prom, rec["difference_share"], "developer_id") == pytest.approx({"ana": 4.5 / 5.5}, rel=1e-12)
        assert by(prom, rec["only_vendor_usd"], "developer_id") == pytest.approx({"bob": 13.5}, rel=1e-12)
        assert by(prom, rec["only_telemetry_usd"], "developer_id") == {}


def test_a_revised_day_counts_once_with_its_revision(proms):
    # bob's Nov 18: 4.0 first, revised up by 0.5 (written one second earlier)
    w = window("7d")
    assert by(proms["vendor_api"], spend.agent_spend("claude-code", w, "developer_id"), "developer_id") == (
        pytest.approx({"ana": 2.5, "bob": 4.5}, rel=1e-12)
    )


def test_rollout_coverage_lists_vendor_users_without_telemetry_or_git_hook(proms):
    w = window("30d")
    prom = proms["auto"]
    cov = spend.coverage(w)
    telemetry = {
        (r["metric"]["agent"], r["metric"]["developer_id"]): float(r["value"][1])
        for r in prom.query(cov["telemetry"], at=h.END)
    }
    assert telemetry == {
        ("claude-code", "ana"): 1,
        ("claude-code", "bob"): 0,
        ("cursor", "cara"): 0,
        ("codex", "dan"): 0,
    }
    reached = {(r["metric"]["agent"], r["metric"]["developer_id"]) for r in prom.query(spend.not_reached(w), at=h.END)}
    assert reached == set(telemetry)  # nobody has the git hook in this history


def panel_targets(dashboard: str, title: str) -> list[str]:
    found = [t for t in targets("prometheus") if t.dashboard == dashboard and t.panel == title]
    assert found, title
    return [substitute(t, range_="30d") for t in found]


def test_the_ai_spend_dashboard_shows_every_agent_as_the_history_holds_it(proms):
    prom, truth = proms["auto"], h.expected("30d")
    (usage, seats) = panel_targets("AI spend & ROI", "Spend by agent (usage, and seats in the time range)")
    assert by(prom, usage, "agent") == pytest.approx(truth["by_agent"], rel=1e-12)
    assert prom.query(seats, at=h.END) == []  # no seats configured in this history
    (total,) = panel_targets("AI spend & ROI", "Usage spend")
    assert float(prom.query(total, at=h.END)[0]["value"][1]) == pytest.approx(truth["total"], rel=1e-12)
    (developers,) = panel_targets("AI spend & ROI", "Usage spend by developer")
    assert by(prom, developers, "developer_id") == pytest.approx(truth["by_developer"], rel=1e-12)
    telemetry, vendor, difference, share = panel_targets(
        "AI spend & ROI", "Claude Code (Anthropic): developers both see"
    )
    assert by(prom, telemetry, "developer_id") == {"ana": 10.0}
    assert by(prom, vendor, "developer_id") == pytest.approx({"ana": 5.5}, rel=1e-12)
    assert by(prom, difference, "developer_id", zeros=True) == pytest.approx({"ana": 4.5}, rel=1e-12)
    assert by(prom, share, "developer_id") == pytest.approx({"ana": 4.5 / 5.5}, rel=1e-12)
    only_telemetry, only_vendor = panel_targets("AI spend & ROI", "Claude Code (Anthropic): seen by one only")
    assert prom.query(only_telemetry, at=h.END) == []
    assert by(prom, only_vendor, "developer_id") == pytest.approx({"bob": 13.5}, rel=1e-12)
    no_telemetry, no_hook = panel_targets("AI spend & ROI", "Vendor API users init has not reached")
    rows = {
        (r["metric"]["agent"], r["metric"]["developer_id"]): float(r["value"][1])
        for r in prom.query(no_telemetry, at=h.END)
    }
    assert rows == {("claude-code", "ana"): 1, ("claude-code", "bob"): 0, ("cursor", "cara"): 0, ("codex", "dan"): 0}
    assert {float(r["value"][1]) for r in prom.query(no_hook, at=h.END)} == {0.0}
