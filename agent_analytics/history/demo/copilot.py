"""GitHub Copilot as the exporter shows it for the demo organisation: the daily usage report (two
days late) and the seats."""

import random
from datetime import UTC, datetime

from agent_analytics.vocabulary import series as s

from .history import DemoHistory
from .organisation import EXPORTER_JOB, ORG, Developer

SCOPE = f"org/{ORG}"
LAG_DAYS = 2  # Copilot's daily reports land about two days late
TEAM_SERIES = {"active_users": s.COPILOT_TEAM_ACTIVE, **s.COPILOT_TEAM}


def _day(rng: random.Random, developers: list[Developer], day_start: int) -> dict:
    """One daily Copilot report (org-wide and per team), as the exporter exposes it."""
    users = [d for d in developers if d.copilot_seat]
    weekday = datetime.fromtimestamp(day_start, UTC).weekday() < 5
    # People who rarely touch Copilot keep an idle seat: seat utilisation stays below 100%.
    active = [d for d in users if d.intensity > 0.45 and rng.random() < (0.8 if weekday else 0.1)]
    report: dict[str, dict[str, float]] = {}
    for team in sorted({d.team_id for d in users}):
        members = [d for d in active if d.team_id == team]
        generated = sum(rng.randint(20, 140) for _ in members)
        accepted = round(generated * rng.uniform(0.22, 0.38))
        suggested = generated * rng.randint(3, 6)
        report[team] = {
            "active_users": len(members),
            "code_generation_activities": generated,
            "code_acceptance_activities": accepted,
            "loc_suggested_to_add": suggested,
            "loc_added": round(suggested * rng.uniform(0.2, 0.35)),
        }
    return {"users": len(users), "active": {d.developer_id for d in active}, "by_team": report}


def report(seed: int, people: list[Developer], day: int, cache: dict[int, dict]) -> dict:
    """The Copilot report of `day`, the same whichever run asks; seat activity accumulates over the
    billing cycle, which starts on the 1st."""
    if day not in cache:
        cache[day] = _day(random.Random(f"{seed}:copilot:{day}"), people, day)
    found = cache[day]
    if "active_cycle" not in found:
        first = int(datetime.fromtimestamp(day, UTC).replace(day=1).timestamp())
        active: set[str] = set()
        for d in range(first, day + 1, 86400):
            if d not in cache:
                cache[d] = _day(random.Random(f"{seed}:copilot:{d}"), people, d)
            active |= cache[d]["active"]
        found["active_cycle"] = len(active)
    return found


def report_day(t: int) -> int:
    """Midnight UTC of the newest report the exporter holds at `t`."""
    return t // 86400 * 86400 - LAG_DAYS * 86400


def set_copilot(h: DemoHistory, t: int, report: dict, day: int) -> None:
    scope = {"scope": SCOPE, **EXPORTER_JOB}
    totals: dict[str, float] = {}
    for team, figures in report["by_team"].items():
        for key, value in figures.items():
            h.set(TEAM_SERIES[key], {**scope, "team": team}, t, value)
            totals[key] = totals.get(key, 0) + value
    h.set(s.COPILOT_USAGE["daily_active_users"], scope, t, totals.get("active_users", 0))
    for key in ("code_generation_activities", "code_acceptance_activities", "loc_suggested_to_add", "loc_added"):
        h.set(s.COPILOT_USAGE[key], scope, t, totals.get(key, 0))
    seats = s.COPILOT_SEATS
    h.set(seats, {**scope, "state": "total"}, t, report["users"])
    h.set(seats, {**scope, "state": "active_this_cycle"}, t, report["active_cycle"])
    h.set(seats, {**scope, "state": "inactive_this_cycle"}, t, report["users"] - report["active_cycle"])
    h.set(s.COPILOT_REPORT_DAY, {**scope, "report": "organization-1-day"}, t, day)
    h.set(s.COPILOT_UP, scope, t, 1)
