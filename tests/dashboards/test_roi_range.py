"""ROI as a range, on a known organisation in a real Prometheus: adoption tiers by active days,
the time-based and output-based estimates of every preset, net return and output per dollar.
The ROI dashboard's panels and `report --json` give the same numbers, and both equal the
ground truth this test computes from what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.grafana_queries import load_dashboards, substitute, targets
from tests.support.hourly_history import push_history
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus

END = datetime(2026, 11, 30, tzinfo=UTC)  # report and panels evaluate here, over the 30 days before
WINDOW_DAYS = 30
STEP = timedelta(minutes=5)
FIRST, LAST = END - timedelta(days=WINDOW_DAYS + 1), END + timedelta(hours=1)
ACTIVE = "claude_code_active_time_seconds_total"
VENDOR_COST = "agent_analytics_vendor_cost_usd"
COMMITS = "agent_analytics_git_commits_total"
HOURLY_RATE = 75.0  # the dashboard's default, and report's with no roi config

# days (0 = the window's first day) on which each developer was active
TELEMETRY_DAYS = {
    "light.b": [1, 8, 15, 22],  # 4 days: 0.93 a week
    "moderate.c": list(range(0, 30, 3)),  # 10 days: 2.33 a week
    "heavy.d": list(range(20)),  # 20 days: 4.67 a week
    "heavy.e": list(range(0, 28, 2)),  # 14 days of telemetry ...
}
VENDOR_DAYS = {
    "heavy.e": [1, 3, 5, 7, 9, 11, 0, 2],  # ... 6 more days from Cursor's reports, 2 that telemetry also has
    "light.f": [4, 5, 6],  # Cursor only: 3 days
}
VENDOR_DAY_USD = 10.0
SESSIONS = "claude_code_session_count_total"
COMMITTING = "agent_analytics_committing_sessions_total"
SESSIONS_BY = {"moderate.c": 6, "heavy.d": 10}  # Claude Code sessions begun
COMMITTING_BY = {"moderate.c": 2, "heavy.d": 1}  # of them, sessions whose commits the hook saw
COPILOT_COMMITTING = {"heavy.d": 4}  # Copilot sessions that made a commit: not Claude Code's
COMMITS_BY = {("none.a", "none"): 5, ("moderate.c", "claude-code"): 3, ("heavy.d", "claude-code"): 2}

# ground truth: tiers by active days per week (light under 2, moderate under 4, heavy from 4)
ACTIVE_DAYS = {"light.b": 4, "moderate.c": 10, "heavy.d": 20, "heavy.e": 20, "light.f": 3}
TIERS = {"none": 1, "light": 2, "moderate": 1, "heavy": 2}  # none.a only commits
DEVELOPER_DAYS = 57
SPEND = VENDOR_DAY_USD * 11  # Cursor's day figures of heavy.e (8) and light.f (3)
WEEKS = WINDOW_DAYS / 7
# hours per developer per week (light, moderate, heavy) and output uplift of each preset
HOURS = {
    "conservative": (0 * 2 + 0 * 1 + 0 * 2) * WEEKS,
    "expected": (0.78 * 2 + 3.9 * 1 + 4.72 * 2) * WEEKS,
    "optimistic": (3.9 * 2 + 4.72 * 1 + 7.35 * 2) * WEEKS,
}
OUTPUT_HOURS = {
    "conservative": 0.0,
    "expected": DEVELOPER_DAYS * 8 * 0.08 / 1.08,
    "optimistic": DEVELOPER_DAYS * 8 * 0.22 / 1.22,
}


def day(n: int) -> datetime:
    return END - timedelta(days=WINDOW_DAYS) + timedelta(days=n)


def counter(increments: dict[datetime, float]) -> list[tuple[int, float]]:
    """Sampled every 5 minutes, as a scrape would."""
    out, value, t = [], 0.0, FIRST
    while t <= LAST:
        value += increments.get(t, 0.0)
        out.append((int(t.timestamp() * 1000), value))
        t += STEP
    return out


def series() -> list:
    out = []
    for dev, days in TELEMETRY_DAYS.items():
        # a quarter of an hour at 12:05 of each active day (never on a day's edge)
        incs = {day(n) + timedelta(hours=12, minutes=5): 900.0 for n in days}
        out.append(({"__name__": ACTIVE, "developer_id": dev, "team_id": "t", "type": "cli"}, counter(incs)))
    for dev, days in VENDOR_DAYS.items():
        labels = {"__name__": VENDOR_COST, "developer_id": dev, "team_id": "t", "agent": "cursor"}
        labels |= {"source": "cursor", "model": "auto"}
        # a day's figure is written at the day's last second
        samples = sorted((int((day(n + 1) - timedelta(seconds=1)).timestamp() * 1000), VENDOR_DAY_USD) for n in days)
        out.append((labels, samples))
    for (dev, agent), n in COMMITS_BY.items():
        labels = {"__name__": COMMITS, "developer_id": dev, "team_id": "t", "agent": agent, "evidence": "trailer"}
        out.append((labels, counter({day(10) + timedelta(hours=15, minutes=5): float(n)})))
    for name, counts, agent in (
        (SESSIONS, SESSIONS_BY, None),
        (COMMITTING, COMMITTING_BY, "claude-code"),
        (COMMITTING, COPILOT_COMMITTING, "copilot"),
    ):
        for dev, n in counts.items():
            labels = {"__name__": name, "developer_id": dev, "team_id": "t"}
            labels |= {"agent": agent} if agent else {}
            out.append((labels, counter({day(12) + timedelta(hours=11, minutes=5): float(n)})))
    return out


@pytest.fixture(scope="module")
def prom():
    with Prometheus(remote_write=True) as p:
        written = series()
        assert push_history(p.url, written) == sum(len(s) for _, s in written)
        yield p


@pytest.fixture(scope="module")
def report(prom):
    at = str(int(END.timestamp()))
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus", prom.url, "--range", "30d"]
        + ["--at", at, "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def results(prom: Prometheus, title: str) -> list[dict]:
    (target,) = [t for t in targets("prometheus") if t.dashboard == "AI spend & ROI" and t.panel == title]
    return prom.query(substitute(target, range_=f"{WINDOW_DAYS}d"), at=END.timestamp())


def panel(prom: Prometheus, title: str) -> float:
    (result,) = results(prom, title)
    return float(result["value"][1])


def by_preset(prom: Prometheus, title: str) -> dict[str, float]:
    return {r["metric"]["preset"]: float(r["value"][1]) for r in results(prom, title)}


def test_tiers_and_developer_days(prom, report):
    adoption = report["roi"]["adoption"]
    assert adoption["tiers"] == TIERS
    assert adoption["developer_days"] == DEVELOPER_DAYS
    for tier, title in (("light", "Light users"), ("moderate", "Moderate users"), ("heavy", "Heavy users")):
        assert panel(prom, title) == TIERS[tier], tier
    assert panel(prom, "Developer-days with an agent") == DEVELOPER_DAYS
    # everyone with spend or activity
    assert report["usage"]["active_developers"] == len(ACTIVE_DAYS)


def test_preset_ranges_are_exact_and_the_dashboard_agrees(prom, report):
    assert report["spend"]["total_usd"] == SPEND
    words = {"time_based": "time-based", "output_based": "output-based"}
    for model, truth in (("time_based", HOURS), ("output_based", OUTPUT_HOURS)):
        got = report["roi"][model]
        panel_hours = by_preset(prom, f"Hours saved, {words[model]}")
        panel_net = by_preset(prom, f"Net return, {words[model]}")
        assert set(panel_hours) == set(panel_net) == set(truth)
        for preset, hours in truth.items():
            value = hours * HOURLY_RATE
            assert got["hours_saved"][preset] == pytest.approx(hours, rel=1e-12), (model, preset)
            assert got["value_usd"][preset] == round(value, 2)  # money in cents
            assert got["net_return"][preset] == pytest.approx((value - SPEND) / SPEND, rel=1e-12)
            assert panel_hours[preset] == pytest.approx(hours, rel=1e-12)
            assert panel_net[preset] == pytest.approx((value - SPEND) / SPEND, rel=1e-12)
        low, high = min(truth.values()), max(truth.values())
        assert report["roi"]["range"][model]["hours_saved_low"] == pytest.approx(low, rel=1e-12)
        assert report["roi"]["range"][model]["hours_saved_high"] == pytest.approx(high, rel=1e-12)
    assert report["roi"]["range"]["time_based"]["net_return_low"] == -1  # conservative: nothing saved


def test_own_assumption_and_output_per_commit_and_session(prom, report):
    assisted, every = 5, 10
    own = report["roi"]["own_assumption"]
    hours = assisted * 15 / 60  # the default minutes per assisted commit
    assert own["hours_saved"] == pytest.approx(hours) == panel(prom, "Hours saved, your minutes per assisted commit")
    assert own["net_return"] == pytest.approx((hours * HOURLY_RATE - SPEND) / SPEND, rel=1e-12)
    assert panel(prom, "Net return, your minutes per assisted commit") == pytest.approx(own["net_return"], rel=1e-12)
    c, out = report["commits"], report["output"]
    assert c["cost_per_commit_with_seats_usd"] == round(SPEND / every, 2)  # money in cents
    assert panel(prom, "AI spend (usage and seats) per commit, assisted or not") == pytest.approx(SPEND / every)
    assert c["cost_per_assisted_commit_with_seats_usd"] == round(SPEND / assisted, 2)
    # Claude Code's sessions over Claude Code's sessions: the Copilot sessions are not in either side
    assert (report["usage"]["claude_code_sessions"], out["claude_code_sessions_with_a_commit"]) == (16, 3)
    assert out["claude_code_share_of_sessions_with_a_commit"] == pytest.approx(3 / 16, rel=1e-12)
    share = panel(prom, "Share of Claude Code sessions that made a commit")
    assert share == pytest.approx(3 / 16, rel=1e-12)


def test_your_own_numbers_make_a_preset_beside_the_published_ones(prom, report):
    assert "yours" not in report["roi"]["time_based"]["hours_saved"]  # none given
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus", prom.url, "--range", "30d"]
        + ["--at", str(int(END.timestamp())), "--json", "--hours-per-week-heavy", "2", "--output-uplift", "0.1"]
        + ["--hourly-rate", "100"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    roi = json.loads(done.stdout)["roi"]
    # light and moderate keep the expected preset's hours
    hours = (0.78 * 2 + 3.9 * 1 + 2 * 2) * WEEKS
    assert roi["time_based"]["hours_saved"]["yours"] == pytest.approx(hours, rel=1e-12)
    assert roi["time_based"]["value_usd"]["yours"] == round(hours * 100, 2)
    output = DEVELOPER_DAYS * 8 * 0.1 / 1.1
    assert roi["output_based"]["hours_saved"]["yours"] == pytest.approx(output, rel=1e-12)
    # the range stays that of the published presets, at the operator's hourly rate
    assert roi["range"]["time_based"]["value_high_usd"] == round(HOURS["optimistic"] * 100, 2)
    assert roi["presets"]["yours"] == {
        "hours_per_week": {"light": 0.78, "moderate": 3.9, "heavy": 2},
        "output_uplift": 0.1,
    }


def test_summary_line_leads_with_the_range_and_the_break_even_and_rounds(report):
    high = HOURS["optimistic"] * HOURLY_RATE
    break_even = SPEND / HOURLY_RATE / (len(ACTIVE_DAYS) * WEEKS)
    assert report["roi"]["break_even_hours_per_developer_week"] == pytest.approx(break_even, rel=1e-12)
    assert report["summary"] == (
        "$110.00 AI spend in 30d (usage $110.00, seats $0.00); 5 people active with an agent (1 of them known only"
        " through vendor APIs: not set up with init yet); 5 of 10 commits assisted; time saved worth $0.00 to"
        f" ${high:,.2f} under the published presets (time-based, conservative to optimistic); breaks even at"
        f" {break_even:.1f} h saved per active developer a week."
    )
    assert "%" not in report["summary"]  # no one percentage stands for a range this wide
    assert report["usage"]["known_only_to_vendor_apis_usd"] == {"light.f": 3 * VENDOR_DAY_USD}
    # counts are integers in --json
    assert all(type(n) is int for n in report["roi"]["adoption"]["tiers"].values())
    assert type(report["commits"]["total"]) is int and type(report["roi"]["adoption"]["developer_days"]) is int


def test_report_names_the_source_of_each_preset(prom, report):
    evidence = {item["preset"]: {s["key"] for s in item["studies"]} for item in report["roi"]["evidence"]}
    assert evidence == {"conservative": {"metr"}, "expected": {"dx", "field"}, "optimistic": {"peng", "dx", "field"}}
    text = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus", prom.url, "--range", "30d"]
        + ["--at", str(int(END.timestamp()))],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},  # names on one line each
    ).stdout
    for name in ("METR", "DX", "Peng et al.", "Cui et al."):
        assert name in text
    board = load_dashboards()["ai-spend-roi.json"]
    (content,) = [p["options"]["content"] for p in board["panels"] if p["title"] == "Evidence behind the presets"]
    for item in report["roi"]["evidence"]:
        for study in item["studies"]:
            assert f"[{study['name']} ({study['year']})]({study['url']})" in content
