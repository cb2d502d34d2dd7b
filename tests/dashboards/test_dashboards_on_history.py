"""The dashboards show demo history in full: the key panels' PromQL, taken from the committed
dashboards with a 30-day range, evaluated hours and minutes after the history ends (no sample
within Prometheus' 5-minute lookback), equals the generator's ground truth."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from agent_analytics.history.demo.generate import generate
from agent_analytics.vocabulary.facts import ROI_DEFAULTS
from tests.support.demo_spend import spend_truth, summed, write_demo
from tests.support.grafana_queries import load_dashboards, substitute, targets
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus

END = int(datetime(2026, 11, 18, 15, 0, tzinfo=UTC).timestamp())  # the history's last sample
DEVELOPERS, DAYS, SEED = 7, 30, 3
DAY = 86400
LATER = (END + 6 * 3600 + 30 * 60, END + 10 * 60)  # evaluation times after the history ends
COST = "claude_code_cost_usage_USD_total"
TOKENS = "claude_code_token_usage_tokens_total"
COMMITS = "agent_analytics_git_commits_total"


@pytest.fixture(scope="module")
def history():
    return generate(DEVELOPERS, DAYS, seed=SEED, end=END)


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    tsdb = tmp_path_factory.mktemp("tsdb")
    write_demo(tsdb, DEVELOPERS, DAYS, SEED, END)
    with Prometheus(data_dir=tsdb, extra_args=["--storage.tsdb.retention.time=400d"]) as p:
        yield p


def panel(prom: Prometheus, dashboard: str, title: str, at: int) -> list[dict]:
    """The panel's query as Grafana sends it for the last 30 days, evaluated at `at`."""
    found = [t for t in targets("prometheus") if t.dashboard == dashboard and t.panel == title]
    assert len(found) == 1, f"{dashboard} / {title}: {len(found)} targets"
    return prom.query(substitute(found[0], range_="30d"), at=at)


def by(result: list[dict], label: str) -> dict[str, float]:
    return {s["metric"].get(label, ""): float(s["value"][1]) for s in result}


def usd(values: dict) -> dict:
    """Costs are whole micro-dollars (the demo rounds each to 6 decimals): compare them at that unit."""
    return {k: round(v, 6) for k, v in values.items()}


@pytest.mark.parametrize("at", LATER, ids=["6h30-after", "10min-after"])
def test_key_panels_equal_the_history_after_it_ended(prom, history, at):
    # beyond the lookback: an instant selector finds no series at all
    assert prom.query(f"sum({COST})", at=at) == []
    since = at - 30 * DAY  # the panels' window (since, at]; the history's samples end at END

    def truth(name: str, label: str | None = None) -> dict:
        totals = history.total(name, since, END, (label,) if label else ())
        return {(k[0] if label else ""): v for k, v in totals.items()}

    every_agent = spend_truth((history,), since, END)  # telemetry, priced tokens and vendor days
    spend = panel(prom, "AI spend & ROI", "Usage-based spend", at)
    assert len(spend) == 1
    assert usd({"": float(spend[0]["value"][1])}) == usd({"": sum(every_agent.values())})
    by_model = {model: v for (model,), v in summed(every_agent, "model").items()}
    assert usd(by(panel(prom, "AI spend & ROI", "Spend by model", at), "model")) == usd(by_model)
    assert set(truth(COST, "model")) < set(by_model)
    assert by(panel(prom, "Claude Code usage", "Tokens by type (range)", at), "type") == truth(TOKENS, "type")
    assert by(panel(prom, "Productivity", "Commits by agent", at), "agent") == truth(COMMITS, "agent")


def test_the_windows_are_what_the_check_above_covers(history):
    """10 minutes after the end the 30-day window holds the whole history; 6.5 hours after, its
    first hours fall out, and the panels must subtract them."""
    everything = history.total(COST, history.start, END)[()]
    assert history.total(COST, LATER[1] - 30 * DAY, END)[()] == everything
    assert 0 < history.total(COST, LATER[0] - 30 * DAY, END)[()] < everything
    tokens = history.total(TOKENS, history.start, END, ("type",))
    assert set(tokens) == {("input",), ("output",), ("cacheRead",), ("cacheCreation",)}
    assert {k[0] for k in history.total(COMMITS, history.start, END, ("agent",))} >= {"claude-code", "none"}


def newest(history, name: str, where=lambda labels: True) -> dict[str, float]:
    """Each series' last value in the history, keyed by its label values (without job/instance)."""
    out = {}
    for (series_name, labels), values in history.gauges.items():
        labels_map = {k: v for k, v in labels if k not in ("job", "instance")}
        if series_name == name and where(labels_map):
            out[",".join(f"{k}={v}" for k, v in sorted(labels_map.items()))] = values[max(values)]
    return out


@pytest.mark.parametrize("at", LATER, ids=["6h30-after", "10min-after"])
def test_gauge_panels_show_the_newest_values_of_the_history(prom, history, at):
    """Seat, configuration and Copilot gauges are sampled once an hour in demo history: the
    panels show their newest value in the time range, not an empty panel once 5 minutes pass."""
    assert prom.query("sum(agent_analytics_copilot_seats)", at=at) == []

    def value(dashboard: str, title: str) -> float:
        result = panel(prom, dashboard, title, at)
        assert len(result) == 1, f"{dashboard} / {title}: {result}"
        return float(result[0]["value"][1])

    prices = newest(history, "agent_analytics_seat_price_monthly_usd")
    paid = newest(history, "agent_analytics_seats_paid")
    copilot = newest(history, "agent_analytics_copilot_seats")
    scope = next(iter(copilot)).split(",")[0]  # scope=org/...
    total, active = copilot[f"{scope},state=total"], copilot[f"{scope},state=active_this_cycle"]
    assert paid == {"agent=cursor": paid["agent=cursor"]} and total >= active > 0
    seats_monthly = prices["agent=cursor"] * paid["agent=cursor"] + prices["agent=copilot"] * total
    assert value("AI spend & ROI", "Seat licences per month") == pytest.approx(seats_monthly)
    assert value("AI spend & ROI", "Copilot seats active this cycle") == pytest.approx(active / total)
    roi = newest(history, "agent_analytics_roi_hourly_rate_usd")
    assert value("AI spend & ROI", "Configured hourly rate") == roi[""]
    daily = newest(history, "agent_analytics_copilot_daily_active_users")
    assert value("GitHub Copilot", "Daily active users") == sum(daily.values())
    states = by(panel(prom, "GitHub Copilot", "Seats by state", at), "state")
    assert states == {k.split("state=")[1]: v for k, v in copilot.items()}
    day = newest(history, "agent_analytics_copilot_report_day_timestamp_seconds")
    assert value("GitHub Copilot", "Report day age") == pytest.approx(at - max(day.values()))


@pytest.mark.parametrize("at", LATER, ids=["6h30-after", "10min-after"])
def test_report_and_the_roi_dashboard_give_the_same_figures(prom, at):
    """`report --json` and the ROI dashboard's own PromQL, on the same data and window, agree:
    spend with seats prorated over the same month length, and ROI at the dashboard's defaults."""
    board = next(b for b in load_dashboards().values() if b["title"] == "AI spend & ROI")
    variables = {v["name"]: v["query"] for v in board["templating"]["list"] if v["type"] == "textbox"}
    assumptions = {
        "hourly_rate_usd": variables["hourly_rate_usd"],
        "minutes_saved_per_assisted_commit": variables["minutes_per_commit"],
    }
    assert {k: float(v) for k, v in assumptions.items()} == ROI_DEFAULTS  # what `report` uses with no roi config
    flags = ["--hourly-rate", assumptions["hourly_rate_usd"]]
    flags += ["--minutes-per-commit", assumptions["minutes_saved_per_assisted_commit"]]
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus", prom.url, "--range", "30d"]
        + ["--at", str(at), "--json", *flags],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    def value(title: str) -> float:
        (result,) = panel(prom, "AI spend & ROI", title, at)
        return float(result["value"][1])

    # report --json gives money in cents; its total is the sum of the parts it shows
    assert round(value("Usage-based spend"), 2) == report["spend"]["metered_usd"]
    assert value("Total for the range") == pytest.approx(report["spend"]["total_usd"], abs=0.01)
    assert report["spend"]["total_usd"] > report["spend"]["metered_usd"] > 0  # seats are in it
    assert value("Assisted commits") == report["commits"]["assisted"] > 0
    # the dashboard's figure is usage spend per commit (its description says so); report's includes seats
    assert round(value("Cost per assisted commit"), 2) == report["output_per_dollar"]["cost_per_assisted_commit_usd"]
    own = report["roi"]["own_assumption"]
    assert value("Hours saved, your minutes per assisted commit") == pytest.approx(own["hours_saved"], rel=1e-12)
    assert round(value("Value of time saved, your minutes per assisted commit"), 2) == own["value_usd"]
    assert own["value_usd"] > 0
    assert value("Net return, your minutes per assisted commit") == pytest.approx(own["net_return"], rel=1e-12)
    assert value("Value per dollar, your minutes per assisted commit") == pytest.approx(
        own["value_per_dollar"], rel=1e-12
    )
    # the presets and the adoption tiers, on the demo's organisation
    tiers = report["roi"]["adoption"]["tiers"]
    assert (
        value("Light users") + value("Moderate users") + value("Heavy users")
        == tiers["light"] + tiers["moderate"] + tiers["heavy"]
        > 0
    )
    assert value("Heavy users") == tiers["heavy"]
    assert value("Developer-days with an agent") == report["roi"]["adoption"]["developer_days"]
    words = {"time_based": "time-based", "output_based": "output-based"}
    for model, by_preset in report["roi"]["estimates"].items():
        hours = by(panel(prom, "AI spend & ROI", f"Hours saved, {words[model]}", at), "preset")
        net = by(panel(prom, "AI spend & ROI", f"Net return, {words[model]}", at), "preset")
        assert set(hours) == set(net) == set(by_preset)
        for preset, estimate in by_preset.items():
            assert hours[preset] == pytest.approx(estimate["hours_saved"], rel=1e-12, abs=1e-12)
            assert net[preset] == pytest.approx(estimate["net_return"], rel=1e-12)
    out = report["output_per_dollar"]
    assert round(value("Cost per commit"), 2) == out["cost_per_commit_usd"]
    assert round(value("Cost per pull request"), 2) == out["cost_per_pull_request_usd"]
    assert value("Lines added per dollar") == pytest.approx(out["lines_added_per_dollar"], rel=1e-12)


def test_a_graph_shows_each_hour_of_the_history(prom, history):
    """A time series panel at its 1-hour minimum step, as Grafana sends it: each point is the
    growth in the hour that ends at it (the hourly series), equal to the history's."""
    (target,) = [t for t in targets("prometheus") if t.dashboard == "Claude Code usage" and t.panel == "Tokens by type"]
    start, stop = END - 2 * DAY, END + 2 * 3600  # to two hours after the history ends
    body = prom.query_range(substitute(target, range_="7d", interval="1h"), start, stop, 3600)
    got = {(s["metric"]["type"], int(t)): float(v) for s in body for t, v in s["values"] if float(v)}
    want = {
        (kind, t): v
        for t in range(start, stop + 1, 3600)
        for (kind,), v in history.total(TOKENS, t - 3600, t, ("type",)).items()
        if v
    }
    assert len(want) > 100 and got == want
