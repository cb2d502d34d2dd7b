"""The dashboards show demo history in full: the key panels' PromQL, taken from the committed
dashboards with a 30-day range, evaluated hours and minutes after the history ends (no sample
within Prometheus' 5-minute lookback), equals the generator's ground truth."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from agent_analytics.history.demo.generate import generate
from agent_analytics.history.demo.organisation import ROI
from agent_analytics.report.presentation import value_at
from agent_analytics.vocabulary import figures, roi, series, spend
from agent_analytics.vocabulary.facts import SEAT_MONTH_SECONDS
from grafana.dashboards_src import claude_code, copilot, productivity, spend_roi
from tests.support.demo_spend import spend_truth, summed, write_demo
from tests.support.grafana_queries import Target, query_result_value, substitute, targets
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus

END = int(datetime(2026, 11, 18, 15, 0, tzinfo=UTC).timestamp())  # the history's last sample
DEVELOPERS, DAYS, SEED = 7, 30, 3
DAY = 86400
LATER = (END + 6 * 3600 + 30 * 60, END + 10 * 60)  # evaluation times after the history ends
COST = "claude_code_cost_usage_USD_total"
TOKENS = "claude_code_token_usage_tokens_total"
COMMITS = "agent_analytics_git_commits_total"
ACTIVE = "claude_code_active_time_seconds_total"


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
    spend = panel(prom, "AI spend & ROI", "Usage spend", at)
    assert len(spend) == 1
    assert usd({"": float(spend[0]["value"][1])}) == usd({"": sum(every_agent.values())})
    by_model = {model: v for (model,), v in summed(every_agent, "model").items()}
    assert usd(by(panel(prom, "AI spend & ROI", "Usage spend by model", at), "model")) == usd(by_model)
    assert set(truth(COST, "model")) < set(by_model)
    assert by(panel(prom, "Claude Code usage", "Claude Code tokens by type", at), "type") == truth(TOKENS, "type")
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
    configured = newest(history, "agent_analytics_roi_hourly_rate_usd")
    (target,) = [
        t
        for t in targets("prometheus")
        if t.dashboard == "AI spend & ROI" and t.panel == "Value of the hours saved, time-based"
    ]
    query, regex = target.computed["hourly_rate_usd"]
    assert float(query_result_value(query, regex, prom, at, "30d")) == configured[""] == ROI["hourly_rate_usd"]
    daily = newest(history, "agent_analytics_copilot_daily_active_users")
    assert value("GitHub Copilot", "Daily active users") == sum(daily.values())
    states = by(panel(prom, "GitHub Copilot", "Copilot seats by state", at), "state")
    assert states == {k.split("state=")[1]: v for k, v in copilot.items()}
    day = newest(history, "agent_analytics_copilot_report_day_timestamp_seconds")
    assert value("GitHub Copilot", "Report day age") == pytest.approx(at - max(day.values()))


# --- every figure `report --json` and a dashboard panel both show, equal (generated pairs) ----------

SCOPES = {board.S for board in (spend_roi, claude_code, productivity, copilot)}
AT = LATER[0]
MONTH_START = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
WINDOWS = {"7d": 7 * DAY, "30d": 30 * DAY, "mtd": AT - MONTH_START}


def figure_panels() -> list[tuple[figures.Figure, Target]]:
    """Every (figure, dashboard target) whose PromQL is the figure's, over the dashboard's scope."""
    built = {f.promql(scope): f for f in figures.FIGURES.values() for scope in SCOPES}
    return [(built[t.expr], t) for t in targets("prometheus") if t.expr in built]


def test_the_pairs_are_found_from_the_figures_and_every_panel_titled_as_a_figure_shows_it():
    pairs = figure_panels()
    paired = {f.path for f, _ in pairs}
    assert len(paired) >= 45 and len(pairs) >= 50
    words = {f.words: f for f in figures.FIGURES.values()}
    assert len(words) == len(figures.FIGURES)  # one figure, one set of words
    for t in targets("prometheus"):
        if t.panel in words:
            assert (words[t.panel], t) in pairs, f"{t} is titled as a figure but runs other PromQL"


def report_json(prom: Prometheus, range_: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus", prom.url, "--range", range_]
        + ["--at", str(AT), "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def dashboard_value(prom: Prometheus, figure: figures.Figure, target: Target, seconds: int):
    """The panel's query as Grafana sends it for a time range of `seconds` ending at AT (its ROI
    variables read from Prometheus as Grafana reads them)."""
    result = prom.query(substitute(target, range_=f"{seconds}s", prometheus=prom, at=AT), at=AT)
    values = {s["metric"].get(figure.by, ""): float(s["value"][1]) for s in result}
    values = {k: v for k, v in values.items() if math.isfinite(v)}
    return values if figure.by else values.get("")


def shown_equal(figure: figures.Figure, panel, report) -> bool:
    """`report --json` gives money in cents, every other figure whole."""
    if figure.by:
        return set(panel) == set(report) and all(
            shown_equal(replace(figure, by=""), panel[k], report[k]) for k in panel
        )
    if panel is None or report is None:
        return panel is None and report is None
    if figure.unit == figures.USD:
        return round(panel, 2) == report
    return panel == pytest.approx(report, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("range_", WINDOWS)
def test_every_figure_of_report_and_the_dashboards_is_one_number(prom, history, range_):
    seconds = WINDOWS[range_]
    report = report_json(prom, range_)
    assert report["window"]["seconds"] == seconds
    pairs = figure_panels()
    differ = []
    for figure, target in pairs:
        panel = dashboard_value(prom, figure, target, seconds)
        mine = value_at(report, figure.path)
        if not shown_equal(figure, panel, mine):
            differ.append(f"{figure.path}: report {mine}, {target} {panel}")
    assert not differ, "\n".join(differ)
    # and both are the organisation's ground truth, computed here from what demo wrote
    for path, expected in ground_truth(history, AT - seconds, seconds).items():
        figure = figures.figure(path)
        assert shown_equal(figure, expected, value_at(report, path)), (path, expected, value_at(report, path))
    assert report["spend"]["reconciliation"]["claude-code"]["telemetry_usd"]  # the figures have rows to compare
    # the ROI inputs: the dashboard's variables read the exporter's roi config, as report does
    (roi_panel,) = [t for _, t in pairs if t.panel == "Value of the hours saved, time-based"]
    for variable, key in (
        ("hourly_rate_usd", "hourly_rate_usd"),
        ("minutes_per_commit", "minutes_saved_per_assisted_commit"),
    ):
        query, regex = roi_panel.computed[variable]
        shown = float(query_result_value(query, regex, prom, AT, f"{seconds}s"))
        assert report["roi"]["assumptions"][key] == {"value": shown, "source": "exporter"} and shown == ROI[key]


def newest_gauge(history, name: str, since: int, **labels: str) -> dict[str, float]:
    """Each series' newest value in (since, AT], by its labels besides job and instance."""
    out = {}
    for (series_name, key), values in history.gauges.items():
        m = dict(key)
        inside = {t: v for t, v in values.items() if since < t <= AT}
        if series_name == name and inside and all(m.get(k) == v for k, v in labels.items()):
            out[",".join(f"{k}={v}" for k, v in sorted(m.items()) if k not in ("job", "instance"))] = inside[
                max(inside)
            ]
    return out


def active_days(history, since: int) -> dict[str, int]:
    """Per developer, the UTC days whose end falls in (since, AT] with Claude Code active time or
    vendor-reported spend (roi.active_days_promql)."""
    days: dict[str, set[int]] = {}
    for (name, key), per_time in history.counters.items():
        if name == ACTIVE:
            for t, v in per_time.items():
                if v > 0:
                    days.setdefault(dict(key)["developer_id"], set()).add(((t - 1) // DAY + 1) * DAY)
    for (name, key), values in history.gauges.items():
        if name == series.VENDOR_COST:
            for t, v in values.items():
                if v > 0:
                    days.setdefault(dict(key)["developer_id"], set()).add((t // DAY + 1) * DAY)
    counted = {dev: sum(1 for end in ends if since < end <= AT) for dev, ends in days.items()}
    return {dev: n for dev, n in counted.items() if n}


def ground_truth(history, since: int, seconds: int) -> dict:
    """What the figures must be over (since, AT], from the generator's own record of what it wrote."""

    def total(name: str, by: str | None = None, where=lambda labels: True) -> dict | float:
        totals = history.total(name, since, AT, (by,) if by else (), where)
        return {k[0]: v for k, v in totals.items() if v} if by else sum(totals.values())

    every_agent = spend_truth((history,), since, AT)
    usage = sum(every_agent.values())
    prices = newest_gauge(history, series.SEAT_PRICE, since)
    paid = newest_gauge(history, series.SEATS_PAID, since)
    copilot_seats = sum(newest_gauge(history, series.COPILOT_SEATS, since, state="total").values())
    monthly = prices["agent=cursor"] * paid["agent=cursor"] + prices["agent=copilot"] * copilot_seats
    seats = monthly * seconds / SEAT_MONTH_SECONDS
    commits = total(COMMITS, "agent")
    assisted = sum(v for agent, v in commits.items() if agent != "none")
    days = active_days(history, since)
    weeks = seconds / (7 * DAY)
    tiers = {t: 0 for t in figures.TIER_WORDS}
    for n in days.values():
        tiers[roi.TIERS[1 + min(2, int(n / weeks // roi.TIER_BAND_DAYS_PER_WEEK))]] += 1
    rate, minutes = ROI["hourly_rate_usd"], ROI["minutes_saved_per_assisted_commit"]
    time_based = {
        name: sum(tiers[t] * h for t, h in p.hours_per_week.items()) * weeks for name, p in roi.PRESETS.items()
    }
    cc_cost = total(COST)
    return {
        "spend.usage_usd": usage,
        "spend.seats_usd": seats,
        "spend.total_usd": usage + seats,
        "spend.by_model_usd": {m: v for (m,), v in summed(every_agent, "model").items()},
        "spend.by_team_usd": {t: v for (t,), v in summed(every_agent, "team_id").items()},
        "spend.by_developer_usd": {d: v for (d,), v in summed(every_agent, "developer_id").items()},
        "spend.usage_by_agent_usd": {a: v for (a,), v in summed(every_agent, "agent").items()},
        "commits.by_agent": commits,
        "commits.total": sum(commits.values()),
        "commits.assisted": assisted,
        "commits.cost_per_assisted_commit_with_seats_usd": (usage + seats) / assisted,
        # usage spend pays for the commits of the agents billed by use only (Copilot's are paid by seats)
        "commits.usage_cost_per_usage_assisted_commit_usd": usage
        / sum(v for agent, v in commits.items() if agent in spend.AGENTS),
        "output.claude_code_lines_added_per_dollar": total(series.CLAUDE_LINES, where=lambda m: m["type"] == "added")
        / cc_cost,
        "tokens.claude-code": total(TOKENS, "type"),
        "usage.claude_code_sessions": total(series.CLAUDE_SESSIONS),
        "output.claude_code_pull_requests": total(series.CLAUDE_PULL_REQUESTS),
        "output.claude_code_cost_per_pull_request_usd": cc_cost / total(series.CLAUDE_PULL_REQUESTS),
        "copilot.seat_utilisation": sum(
            newest_gauge(history, series.COPILOT_SEATS, since, state="active_this_cycle").values()
        )
        / copilot_seats,
        **{f"roi.adoption.tiers.{t}": n for t, n in tiers.items()},
        "roi.adoption.developer_days": sum(days.values()),
        "roi.time_based.hours_saved": time_based,
        "roi.own_assumption.hours_saved": assisted * minutes / 60,
        "roi.own_assumption.value_usd": assisted * minutes / 60 * rate,
        "roi.break_even_hours_per_developer_week": (usage + seats) / rate / (len(days) * weeks),
    }


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
