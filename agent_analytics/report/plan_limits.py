"""The Plan limits section of `report`: who reaches the 5-hour window's limit and how often, the
weekly window's use per developer, and the plan fit. The same PromQL as the Plan limits
dashboard (agent_analytics/vocabulary/plan_limits.py) over the report's window; the plan fit is
computed from the weekly peaks and the plan prices by the same module, in Python.
"""

from __future__ import annotations

from string import Template

from agent_analytics.vocabulary import plan_limits as pl
from agent_analytics.vocabulary.series import PLAN_PRICE

RANGE = "$range"
PEOPLE = ("developer_id", "team_id")

QUERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    # name: (PromQL, labels of the result rows)
    "windows_near_limit": (pl.windows_reached(pl.NEAR, RANGE), PEOPLE),
    "windows_at_limit": (pl.windows_reached(pl.AT, RANGE), PEOPLE),
    "hours_at_limit": (pl.hours_at_limit(RANGE), PEOPLE),
    "weekly_peak": (pl.weekly_peak(RANGE), (*PEOPLE, "plan")),
    "plan_prices": (f"max by (plan) (last_over_time({PLAN_PRICE}[{RANGE}]))", ("plan",)),
}


def render(name: str, range_: str) -> str:
    return Template(QUERIES[name][0]).substitute(range=range_)


def _by_person(result) -> dict[tuple[str, str], float]:
    return {(m.get("developer_id", ""), m.get("team_id", "")): v for m, v in result}


def build_plan_limits(prom, end: int, seconds: int) -> dict:
    """The section over the `seconds` before `end` (the report's window)."""
    r = {name: prom.query(render(name, f"{seconds}s"), end) for name in QUERIES}
    near, at, hours = (_by_person(r[name]) for name in ("windows_near_limit", "windows_at_limit", "hours_at_limit"))
    five_hour = [
        {
            "developer_id": developer,
            "team_id": team,
            "windows_reached_90": near.get((developer, team), 0.0),
            "windows_at_limit": at.get((developer, team), 0.0),
            "hours_at_limit": hours.get((developer, team), 0.0),
        }
        for developer, team in set(near) | set(at)
    ]
    peaks = [
        {"developer_id": m.get("developer_id", ""), "team_id": m.get("team_id", ""), "plan": m.get("plan", "")}
        | {"weekly_peak": v}
        for m, v in r["weekly_peak"]
    ]
    prices = pl.prices({m["plan"]: v for m, v in r["plan_prices"] if m.get("plan") in pl.plans()})
    return {
        "five_hour": {
            "developers_reached_90": len(near),
            "developers_at_limit": len(at),
            "hours_at_limit": sum(hours.values()),
            "by_developer": sorted(
                five_hour, key=lambda row: (-row["hours_at_limit"], -row["windows_reached_90"], row["developer_id"])
            ),
        },
        "weekly_use": {
            "by_developer": sorted(peaks, key=lambda row: (-row["weekly_peak"], row["developer_id"])),
            "bands": pl.bands([p["weekly_peak"] for p in peaks]),
        },
        "plan_fit": {
            **pl.fit(peaks, prices),
            "fit_share": pl.FIT,
            "plans": {
                name: {"family": p.family, "size": p.size, "price_monthly_usd": prices[name], "source": p.source}
                for name, p in pl.plans().items()
            },
            "plans_checked": pl.checked(),
        },
    }


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0%}"


def _usd(v: float | None, signed: bool = False) -> str:
    if v is None:
        return "-"
    sign = "-" if v < 0 else "+" if signed and v > 0 else ""
    return f"{sign}${abs(v):,.2f}"


def tables(section: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """The section as (title, columns, rows) tables, in the report's order."""
    five, weekly, fit = section["five_hour"], section["weekly_use"], section["plan_fit"]
    near_title = (
        f"Plan limits: the 5-hour window ({five['developers_reached_90']} developers reached 90%,"
        f" {five['developers_at_limit']} the limit, {five['hours_at_limit']:,.1f} h at the limit)"
    )
    return [
        (
            near_title,
            ["developer", "team", "windows at 90%+", "windows at the limit", "hours at the limit"],
            [
                [r["developer_id"], r["team_id"], f"{r['windows_reached_90']:,.0f}", f"{r['windows_at_limit']:,.0f}"]
                + [f"{r['hours_at_limit']:,.1f}"]
                for r in five["by_developer"]
            ],
        ),
        (
            "Plan limits: weekly window, peak use per developer",
            ["developer", "team", "plan", "weekly peak"],
            [
                [r["developer_id"], r["team_id"], r["plan"] or "(not given)", _pct(r["weekly_peak"])]
                for r in weekly["by_developer"]
            ],
        ),
        (
            "Plan limits: developers by weekly peak",
            ["weekly peak", "developers"],
            [[band, str(n)] for band, n in weekly["bands"].items()],
        ),
        (
            f"Plan fit (a smaller plan fits when the weekly peak would fill at most {fit['fit_share']:.0%} of it;"
            f" savings {_usd(fit['savings_monthly_usd'])}/month, larger plans {_usd(fit['extra_monthly_usd'])}/month,"
            f" net {_usd(fit['net_monthly_usd'], signed=True)}/month)",
            ["developer", "team", "plan", "weekly peak", "in Pro weeks", "needs", "per month"],
            [
                [r["developer_id"], r["team_id"], r["plan"] or "(not given)", _pct(r["weekly_peak"])]
                + ["-" if r["pro_weeks_used"] is None else f"{r['pro_weeks_used']:.2f}"]
                + [f"{r['recommended']} ({r['verdict']})" if r["recommended"] else r["verdict"]]
                + [_usd(r["difference_monthly_usd"], signed=True)]
                for r in fit["rows"]
            ],
        ),
    ]
