"""Plan limits on a known week in a real Prometheus: six developers' status line readings as the
collector shows them (each reading held until the next, the last one held for good), and the
exporter's plan prices. `report --json` and the Plan limits dashboard's panels give the exact
figures this test states: who reached 90% of a 5-hour window or its limit, how often and for how
long, each weekly peak and their spread, and the plan fit table with its savings. Readings whose
window had reset (one developer's old 95% of a week, another's old 100% of a 5-hour window) count
for nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from agent_analytics.history.openmetrics import Series
from agent_analytics.history.tsdb_blocks import write_blocks
from agent_analytics.vocabulary import plan_limits
from agent_analytics.vocabulary.series import PLAN_PRICE, PLAN_QUOTA_RESET, PLAN_QUOTA_USED
from tests.support.grafana_queries import substitute, targets
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus

END = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())  # report and panels evaluate here
WEEK = 7 * 86400
START = END - WEEK  # the window is the week before END
SCRAPE = 60  # seconds between the samples Prometheus took of the collector


def at(day: int, hour: int, minute: int = 0) -> int:
    """A moment of the week (day 0 starts at START; negative days are before the window)."""
    return START + day * 86400 + hour * 3600 + minute * 60


# developer -> (team, plan, {window: [(when, share used, reset time), ...]})
READINGS = {
    "ana": ("payments", "max-20x", {
        "7d": [(at(0, 9), 0.01, at(5, 0)), (at(2, 10), 0.03, at(5, 0))],
        "5h": [(at(1, 9), 0.2, at(1, 14)), (at(1, 11), 0.45, at(1, 14))],
    }),
    "ben": ("payments", "max-5x", {
        "7d": [(at(0, 8), 0.3, at(6, 8)), (at(3, 8), 0.7, at(6, 8)), (at(5, 12), 1.0, at(6, 8))],
        "5h": [
            (at(1, 9), 0.5, at(1, 14)), (at(1, 12), 0.95, at(1, 14)),  # 95%, never the limit
            (at(2, 9), 0.6, at(2, 14)), (at(2, 12), 1.0, at(2, 14)),  # at the limit 12:00 to 14:00
            (at(4, 15), 0.92, at(4, 20)), (at(4, 18, 30), 1.0, at(4, 20)),  # 18:30 to 20:00
        ],
    }),
    "cai": ("platform", "pro", {
        "7d": [(at(1, 9), 0.2, at(7, 9)), (at(3, 9), 0.5, at(7, 9))],
        "5h": [(at(3, 9), 0.4, at(3, 13)), (at(3, 12, 30), 1.0, at(3, 13))],  # 12:30 to 13:00
    }),
    "dee": ("platform", "team-premium", {
        "7d": [(at(2, 10), 0.1, at(8, 0))],
        "5h": [(at(2, 10), 0.3, at(2, 15))],
    }),
    "eve": ("platform", "max-5x", {
        # 95% of a week that reset before the window began, shown until day 4
        "7d": [(at(-2, 0), 0.95, at(-1, 0)), (at(4, 0), 0.12, at(9, 0))],
        # and a 5-hour window used up the day before the window
        "5h": [(at(-1, 10), 1.0, at(-1, 12)), (at(4, 0), 0.2, at(4, 5))],
    }),
    "fay": ("payments", None, {  # no `init --plan`
        "7d": [(at(1, 9), 0.4, at(7, 12))],
        "5h": [(at(1, 9), 0.1, at(1, 14))],
    }),
}  # fmt: skip
PRICES = plan_limits.prices({"max-5x": 90.0})  # the exporter's plan_prices: what this team pays for Max 5x

# the ground truth, by hand
FIVE_HOUR = {  # developer: (windows at 90%+, windows at the limit, hours at the limit)
    ("ben", "payments"): (3, 2, 3.5),
    ("cai", "platform"): (1, 1, 0.5),
}
PEAKS = {"ana": 0.03, "ben": 1.0, "cai": 0.5, "dee": 0.1, "eve": 0.12, "fay": 0.4}
BANDS = dict.fromkeys(plan_limits.BANDS, 0) | {"0-10%": 1, "10-20%": 2, "40-50%": 1, "50-60%": 1, "at the limit": 1}
FIT = {  # developer: (plan, needs, monthly difference)
    "ana": ("max-20x", "pro", 20 - 200),  # 3% of 20 Pro weeks = 60% of a Pro week
    "ben": ("max-5x", "max-20x", 200 - 90),  # at the weekly limit
    "cai": ("pro", "pro", 0),
    "dee": ("team-premium", "team-standard", 30 - 150),  # 10% of 6.25 = 50% of 1.25
    "eve": ("max-5x", "pro", 20 - 90),  # 12% of 5 = 60% of a Pro week
    "fay": ("", None, None),
}
SAVINGS, EXTRA = 180 + 120 + 70, 110


def held(readings: list[tuple[int, float, int]], index: int) -> list[tuple[int, float]]:
    """One gauge as Prometheus scraped it: each reading's figure from its time until the next's."""
    out = []
    for i, reading in enumerate(readings):
        until = readings[i + 1][0] if i + 1 < len(readings) else END + SCRAPE
        out += [(t, float(reading[index])) for t in range(reading[0], until, SCRAPE)]
    return out


def history() -> list[Series]:
    out = []
    for developer, (team, plan, windows) in READINGS.items():
        for window, readings in windows.items():
            labels = {"developer_id": developer, "team_id": team, "window": window, "job": "collector"}
            labels |= {"plan": plan} if plan else {}
            out.append(Series(PLAN_QUOTA_USED, labels, "gauge", held(readings, 1)))
            out.append(Series(PLAN_QUOTA_RESET, labels, "gauge", held(readings, 2)))
    day_of_prices = range(END - 86400, END + 1, 30)
    for plan, price in PRICES.items():
        out.append(Series(PLAN_PRICE, {"plan": plan, "job": "exporter"}, "gauge", [(t, price) for t in day_of_prices]))
    return out


@pytest.fixture(scope="module")
def prom():
    # written as blocks before Prometheus starts: what it then reads is settled on disk
    p = Prometheus(extra_args=["--storage.tsdb.retention.time=400d"])
    write_blocks(history(), p.data_dir)
    with p:
        yield p


@pytest.fixture(scope="module")
def report(prom) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus-url", prom.url, "--range", "7d"]
        + ["--at", str(END), "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["plan_limits"]


def panel(prom: Prometheus, title: str) -> list[list[dict]]:
    """The results of a Plan limits panel's targets, as Grafana asks them over a 7-day range."""
    found = [t for t in targets("prometheus") if t.dashboard == "Plan limits" and t.panel == title]
    assert found, title
    return [prom.query(substitute(t, range_="7d"), at=END) for t in found]


def value(result: list[dict]) -> float:
    (row,) = result
    return float(row["value"][1])


def by(result: list[dict], *labels: str) -> dict:
    return {tuple(r["metric"].get(k, "") for k in labels): float(r["value"][1]) for r in result}


def test_the_plan_fit_of_known_peaks_and_prices():
    """The plan fit alone, without Prometheus: the table and its totals."""
    peaks = [
        {"developer_id": d, "team_id": READINGS[d][0], "plan": plan, "weekly_peak": PEAKS[d]}
        for d, (plan, _, _) in FIT.items()
    ]
    fit = plan_limits.fit(peaks, PRICES)
    got = {r["developer_id"]: (r["plan"], r["recommended"], r["difference_monthly_usd"]) for r in fit["rows"]}
    assert got == FIT
    assert {r["developer_id"]: r["verdict"] for r in fit["rows"]} == {
        "ana": "smaller plan", "ben": "larger plan", "cai": "fits", "dee": "smaller plan", "eve": "smaller plan",
        "fay": "plan not given (init --plan)",
    }  # fmt: skip
    assert (fit["savings_monthly_usd"], fit["extra_monthly_usd"], fit["net_monthly_usd"]) == (370, 110, -260)
    assert next(r for r in fit["rows"] if r["developer_id"] == "ana")["pro_weeks_used"] == pytest.approx(0.6)


def test_the_five_hour_window_in_report_and_on_the_dashboard(prom, report):
    five = report["five_hour"]
    assert {
        (r["developer_id"], r["team_id"]): (r["windows_reached_90"], r["windows_at_limit"], r["hours_at_limit"])
        for r in five["by_developer"]
    } == FIVE_HOUR
    assert (five["developers_reached_90"], five["developers_at_limit"], five["hours_at_limit"]) == (2, 2, 4.0)
    assert value(panel(prom, "Developers who reached 90%")[0]) == 2
    assert value(panel(prom, "Developers at the limit")[0]) == 2
    assert value(panel(prom, "Hours at the limit")[0]) == 4.0
    assert value(panel(prom, "Developers reporting plan limits")[0]) == len(READINGS)
    near, at_limit, hours = (
        by(r, "developer_id", "team_id") for r in panel(prom, "Who reaches the 5-hour limit, and how often")
    )
    assert {k: (near[k], at_limit[k], hours[k]) for k in near} == FIVE_HOUR


def test_weekly_peaks_and_their_spread(prom, report):
    weekly = report["weekly_use"]
    assert {r["developer_id"]: (r["plan"], r["weekly_peak"]) for r in weekly["by_developer"]} == {
        d: (FIT[d][0], peak) for d, peak in PEAKS.items()
    }
    assert weekly["bands"] == BANDS
    (peaks,) = panel(prom, "Weekly peak per developer")
    assert by(peaks, "developer_id", "plan") == {(d, FIT[d][0]): peak for d, peak in PEAKS.items()}
    (bands,) = panel(prom, "Developers by weekly peak")
    assert {band: v for (band,), v in by(bands, "band").items()} == BANDS


def test_plan_fit_in_report_and_on_the_dashboard(prom, report):
    fit = report["plan_fit"]
    assert {r["developer_id"]: (r["plan"], r["recommended"], r["difference_monthly_usd"]) for r in fit["rows"]} == FIT
    assert (fit["savings_monthly_usd"], fit["extra_monthly_usd"], fit["net_monthly_usd"]) == (SAVINGS, EXTRA, -260)
    assert fit["plans"]["max-5x"]["price_monthly_usd"] == 90 and fit["plans"]["pro"]["price_monthly_usd"] == 20
    peaks, differences = panel(prom, "Plan fit per developer")
    assert by(peaks, "developer_id", "plan") == {(d, FIT[d][0]): peak for d, peak in PEAKS.items()}
    assert by(differences, "developer_id", "plan", "recommended") == {
        (d, plan, needs): difference for d, (plan, needs, difference) in FIT.items() if needs
    }
    assert value(panel(prom, "Savings available")[0]) == SAVINGS
    assert value(panel(prom, "Larger plans needed")[0]) == EXTRA
    assert value(panel(prom, "Net change")[0]) == EXTRA - SAVINGS
