"""Plan limits: how much of their Claude plan's 5-hour and weekly windows developers use, and which
plan each of them needs. The plans are data (plans.yaml, with their sources); the rest is the
logic the Plan limits dashboard, `report` and the alert share: the dashboard and the alert through
the PromQL built here, `report` through the same plan fit in Python.

The readings come from Claude Code's status line (`rate_limits`), sent by the status line bridge
as two gauges per window: the share used and the reset time. A reading stands until its window
resets, and the collector keeps showing it after that (a developer who stopped at the limit shows
100% for as long as the collector runs), so every query here keeps only readings whose reset time
is still ahead: `live()`. Over a range, readings are taken every facts.PLAN_LIMIT_STEP (a
subquery), since whether a reading was live depends on when it is read.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from agent_analytics.vocabulary import facts
from agent_analytics.vocabulary.series import PLAN_PRICE, PLAN_QUOTA_RESET, PLAN_QUOTA_USED

FIVE_HOUR, SEVEN_DAY = "5h", "7d"
# keys of the status line's `rate_limits` -> the `window` label; any further key keeps its name
WINDOW_LABELS = {"five_hour": FIVE_HOUR, "seven_day": SEVEN_DAY}
KEYS = "developer_id, team_id, window, plan"
STEP = facts.PLAN_LIMIT_STEP
NEAR, AT = facts.PLAN_NEAR_LIMIT, facts.PLAN_AT_LIMIT
FIT = facts.PLAN_FIT_SHARE
# the weekly peaks as a distribution: tenths of the week, then the limit itself
BANDS = (*(f"{10 * i}-{10 * (i + 1)}%" for i in range(10)), "at the limit")


@dataclass(frozen=True)
class Plan:
    name: str
    family: str
    size: float  # what the plan allows in a window, as a multiple of Pro
    price_monthly_usd: float  # list price
    source: str


@cache
def _table() -> tuple[dict[str, Plan], str]:
    doc = yaml.safe_load(Path(__file__).with_name("plans.yaml").read_text())
    plans = {name: Plan(name, **fields) for name, fields in doc["plans"].items()}
    return plans, str(doc["checked"])


def plans() -> dict[str, Plan]:
    return _table()[0]


def checked() -> str:
    """When the plan table was last checked against its sources."""
    return _table()[1]


def ladder(family: str) -> list[Plan]:
    return sorted((p for p in plans().values() if p.family == family), key=lambda p: p.size)


# --- the plan fit ----------------------------------------------------------------------------------


OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Branch:
    """The plan recommended for the weekly peaks that meet every condition (PromQL comparisons)."""

    recommended: str
    conditions: tuple[tuple[str, float], ...]

    def holds(self, peak: float) -> bool:
        return all(OPS[op](peak, value) for op, value in self.conditions)

    def promql(self, peak: str) -> str:
        """`peak` (an instant vector) filtered to the series that meet the conditions."""
        return f"({peak})" + "".join(f" {op} {value!r}" for op, value in self.conditions)


def branches(plan: str) -> list[Branch]:
    """Every weekly peak (0-1) of a developer on `plan` meets exactly one branch:

    - the smallest plan of the family that the peak, in that plan's size, would fill to FIT at most;
    - else the plan itself, below the limit;
    - at the limit (the week's allowance used up), the next larger plan: how much more the
      developer would use is not known. The largest plan stays.
    """
    current = plans()[plan]
    steps = ladder(current.family)
    smaller = [p for p in steps if p.size < current.size]
    larger = [p for p in steps if p.size > current.size]
    out: list[Branch] = []
    above: tuple[tuple[str, float], ...] = ()
    for p in smaller:
        threshold = FIT * p.size / current.size  # the peak that would fill `p` to FIT
        out.append(Branch(p.name, (*above, ("<=", threshold))))
        above = ((">", threshold),)
    if larger:
        return [*out, Branch(current.name, (*above, ("<", AT))), Branch(larger[0].name, ((">=", AT),))]
    return [*out, Branch(current.name, above)]


def recommend(plan: str, peak: float) -> str | None:
    """The plan a developer on `plan` whose weekly peak was `peak` (0-1) needs; None for a plan the
    table does not know."""
    if plan not in plans():
        return None
    return next(b.recommended for b in branches(plan) if b.holds(peak))


def verdict(plan: str, recommended: str | None) -> str:
    if recommended is None:
        return "unknown plan" if plan else "plan not given (init --plan)"
    size, new = plans()[plan].size, plans()[recommended].size
    return "fits" if new == size else "smaller plan" if new < size else "larger plan"


def prices(configured: dict[str, float]) -> dict[str, float]:
    """Each plan's monthly price: the exporter's `plan_prices` where given, else the list price."""
    return {name: configured.get(name, p.price_monthly_usd) for name, p in plans().items()}


def fit(peaks: list[dict], monthly_prices: dict[str, float]) -> dict:
    """The plan fit table: for each {developer_id, team_id, plan, weekly_peak}, the plan it needs
    and the monthly difference of the seat prices; and the totals: what moving everyone to the plan
    they fit saves, what the larger plans cost more, and the net change."""
    rows = []
    for p in sorted(peaks, key=lambda r: (r["team_id"], r["developer_id"], r["plan"])):
        plan, peak = p["plan"], p["weekly_peak"]
        rec = recommend(plan, peak)
        difference = monthly_prices[rec] - monthly_prices[plan] if rec else None
        rows.append(
            {
                "developer_id": p["developer_id"],
                "team_id": p["team_id"],
                "plan": plan,
                "weekly_peak": peak,
                "pro_weeks_used": peak * plans()[plan].size if plan in plans() else None,
                "recommended": rec,
                "verdict": verdict(plan, rec),
                "difference_monthly_usd": difference,
            }
        )
    differences = [r["difference_monthly_usd"] for r in rows if r["difference_monthly_usd"] is not None]
    return {
        "rows": rows,
        "savings_monthly_usd": -sum(d for d in differences if d < 0),
        "extra_monthly_usd": sum(d for d in differences if d > 0),
        "net_monthly_usd": sum(differences),
    }


def band(peak: float) -> str:
    """The tenth of the week a peak falls in (as bands_promql() computes it), or the limit."""
    return BANDS[min(math.floor(min(peak, AT) * 10), 10)]


def bands(peaks: list[float]) -> dict[str, int]:
    counts = dict.fromkeys(BANDS, 0)
    for peak in peaks:
        counts[band(peak)] += 1
    return counts


# --- PromQL ----------------------------------------------------------------------------------------


def _selector(name: str, window: str, filters: str) -> str:
    return f'{name}{{window="{window}"{", " + filters if filters else ""}}}'


def live_reset(window: str, filters: str = "") -> str:
    """Per developer and plan, the reset time of `window` where it is still ahead."""
    return f"(max by ({KEYS}) ({_selector(PLAN_QUOTA_RESET, window, filters)}) > time())"


def live(window: str, filters: str = "") -> str:
    """Per developer and plan, the share of `window` used (0-1), where the reading still stands."""
    used = f"max by ({KEYS}) ({_selector(PLAN_QUOTA_USED, window, filters)})"
    return f"({used} and on ({KEYS}) {live_reset(window, filters)})"


def hours_at_limit(span: str, filters: str = "") -> str:
    """Per developer, the hours in `span` their 5-hour window was used up (readings every STEP)."""
    at_limit = f"({live(FIVE_HOUR, filters)} >= {AT!r})"
    steps = f"count_over_time({at_limit}[{span}:{STEP}])"
    return f"sum by (developer_id, team_id) ({steps}) * {facts.seconds(STEP)} / 3600"


def windows_reached(share: float, span: str, filters: str = "") -> str:
    """Per developer, the 5-hour windows in `span` in which they used `share` (0-1) or more: the
    distinct reset times of the readings that reached it."""
    # each series read once: a series read twice in one query has been seen to come back incomplete now
    # and then from Prometheus 2.42
    used = f"max by ({KEYS}) ({_selector(PLAN_QUOTA_USED, FIVE_HOUR, filters)})"
    reached = f"({live_reset(FIVE_HOUR, filters)} and on ({KEYS}) ({used} >= {share!r}))"
    distinct = f'count_values by (developer_id, team_id) ("resets_at", {reached})'
    return f"count by (developer_id, team_id) (count_over_time({distinct}[{span}:{STEP}]))"


def weekly_peak(span: str, filters: str = "") -> str:
    """Per developer and plan, the highest share of the weekly window used in `span`."""
    return f"max by (developer_id, team_id, plan) (max_over_time({live(SEVEN_DAY, filters)}[{span}:{STEP}]))"


def bands_promql(span: str, filters: str = "") -> str:
    """How many developers' weekly peak falls in each band (label `band`), every band shown, from
    one reading of the peaks (a subquery read twice in one query has been seen to come back
    incomplete now and then from Prometheus 2.42)."""
    tenths = f'count_values("tenth", floor(clamp_max({weekly_peak(span, filters)}, {AT!r}) * 10))'
    for i, name in enumerate(BANDS):
        tenths = f'label_replace({tenths}, "band", "{name}", "tenth", "{i}")'
    zeros = " or ".join(f'label_replace(vector(0), "band", "{name}", "", "")' for name in BANDS)
    return f"sum by (band) ({tenths}) or {zeros}"


def price(plan: str, span: str) -> str:
    """A plan's monthly price as a scalar: the exporter's gauge, else the list price."""
    gauge = f'max(last_over_time({PLAN_PRICE}{{plan="{plan}"}}[{span}]))'
    return f"scalar({gauge} or vector({plans()[plan].price_monthly_usd!r}))"


def plan_fit(span: str, filters: str = "") -> str:
    """Per developer and plan, labelled `recommended` with the plan they need (branches()): the
    monthly difference of the seat prices. One branch per plan and outcome, each over the
    developers on that plan only, so the whole costs a few weekly-peak queries."""
    out = []
    for plan in plans():
        peak = weekly_peak(span, f'{filters + ", " if filters else ""}plan="{plan}"')
        for b in branches(plan):
            difference = f"({b.promql(peak)}) * 0 + {price(b.recommended, span)} - {price(plan, span)}"
            out.append(f'label_replace({difference}, "recommended", "{b.recommended}", "", "")')
    return "\n or ".join(out)


def team_days_at_limit(span: str, step: str = STEP, filters: str = "") -> str:
    """Per team, the UTC days in `span` on which one of its developers was at the 5-hour limit
    (read every `step`)."""
    at_limit = f"max by (team_id) ({live(FIVE_HOUR, filters)} >= {AT!r})"
    day = f'count_values by (team_id) ("day", floor(({at_limit} * 0 + time()) / {facts.DAY_SECONDS}))'
    return f"count by (team_id) (count_over_time({day}[{span}:{step}]))"
