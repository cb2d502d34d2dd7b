"""Copilot report records -> gauge families (pure functions: records in, samples out).

Field names are GitHub's (usage metrics reports, seats API). Breakdown label sets are bounded:
per dimension the `max_values` largest values keep their name, the rest fold into "other".
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent_analytics.vocabulary import series as s
from agent_analytics.vocabulary.copilot_fields import (
    ACTIVE_USERS,
    BREAKDOWNS,
    IDLE_DAYS,
    MEASURES,
    SEAT_STATES,
    SURFACES,
)


@dataclass
class Family:
    name: str
    help: str
    labels: tuple[str, ...]
    samples: dict[tuple[str, ...], float] = field(default_factory=dict)

    @classmethod
    def of(cls, series: s.Series) -> "Family":
        return cls(series, series.help, series.labels)

    def add(self, labels: tuple[str, ...], value: float) -> None:
        self.samples[labels] = self.samples.get(labels, 0.0) + value


def _num(value) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def day_timestamp(day: str) -> float:
    return datetime.strptime(day[:10], "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def _fold(totals: dict[str, float], max_values: int) -> dict[str, str]:
    """Label value -> exposed label value: the largest `max_values` keep their name."""
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    keep = set(ranked[:max_values])
    return {k: (k if k in keep else "other") for k in totals}


def newest_day_records(records: list[dict]) -> list[dict]:
    """The records of the newest `day` (28-day reports hold one record per day, or `day_totals`)."""
    flat: list[dict] = []
    for r in records:
        nested = r.get("day_totals")
        flat.extend(d for d in nested if isinstance(d, dict)) if isinstance(nested, list) else flat.append(r)
    days = [str(r["day"]) for r in flat if r.get("day")]
    if not days:
        return flat
    newest = max(days)
    return [r for r in flat if str(r.get("day")) == newest]


def usage_families(scope: str, records: list[dict], max_values: int) -> list[Family]:
    """The aggregate (organization / enterprise) report of one day."""
    fams: list[Family] = []
    for name in ACTIVE_USERS:
        f = Family.of(s.COPILOT_USAGE[name])
        for r in records:
            f.add((scope,), _num(r.get(name)))
        fams.append(f)
    for name, key in MEASURES.items():
        f = Family.of(s.COPILOT_USAGE[name])
        for r in records:
            f.add((scope,), _num(r.get(key)))
        fams.append(f)
    prs = Family.of(s.COPILOT_PULL_REQUESTS)
    for r in records:
        for kind, value in (r.get("pull_requests") or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                prs.add((scope, kind), value)
    fams.append(prs)

    for label, sources in BREAKDOWNS.items():
        rows = []
        for r in records:
            source = next((src for src in sources if isinstance(r.get(src), list)), None)
            if source:
                rows.extend(row for row in r[source] if isinstance(row, dict) and row.get(label))
        weight: dict[str, float] = defaultdict(float)
        for row in rows:
            weight[str(row[label])] += sum(_num(row.get(k)) for k in MEASURES.values())
        exposed = _fold(weight, max_values)
        for name, key in MEASURES.items():
            f = Family.of(s.COPILOT_BREAKDOWNS[(name, label)])
            for row in rows:
                f.add((scope, exposed[str(row[label])]), _num(row.get(key)))
            fams.append(f)
    return fams


def _user_key(record: dict) -> str | None:
    for key in ("user_id", "user_login"):
        if record.get(key) not in (None, ""):
            return f"{key}:{record[key]}"
    return None


def _team_name(record: dict) -> str | None:
    for key in ("team_slug", "team_name", "team", "team_id"):
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("slug") or value.get("name")
        if value not in (None, ""):
            return str(value)
    return None


def users_families(scope: str, users: list[dict], user_teams: list[dict] | None, max_values: int) -> list[Family]:
    """Per-user records of one day, summed; with `user_teams`, summed per team too."""
    surfaces = Family.of(s.COPILOT_ACTIVE_BY_SURFACE)
    credits = Family.of(s.COPILOT_AI_CREDITS)
    credits.add((scope,), 0.0)
    for u in users:
        for surface, key in SURFACES.items():
            surfaces.add((scope, surface), 1.0 if u.get(key) is True else 0.0)
        credits.add((scope,), _num(u.get("ai_credits_used")))
    fams = [surfaces, credits]
    if user_teams is None:
        return fams

    teams_of: dict[str, set[str]] = defaultdict(set)
    for row in user_teams:
        key, team = _user_key(row), _team_name(row)
        if key and team:
            teams_of[key].add(team)
            # a row naming both id and login must match a user record carrying either
            if row.get("user_login") not in (None, ""):
                teams_of[f"user_login:{row['user_login']}"].add(team)
    active = Family.of(s.COPILOT_TEAM_ACTIVE)
    per_team = {name: Family.of(series) for name, series in s.COPILOT_TEAM.items()}
    team_credits = Family.of(s.COPILOT_TEAM_AI_CREDITS)
    all_teams = {t for ts in teams_of.values() for t in ts}
    weight = {t: 0.0 for t in all_teams}
    rows: list[tuple[str, dict]] = []
    for u in users:
        teams = set()
        for key in ("user_id", "user_login"):
            if u.get(key) not in (None, ""):
                teams |= teams_of.get(f"{key}:{u[key]}", set())
        for t in teams:
            rows.append((t, u))
            weight[t] += 1
    exposed = _fold(weight, max_values)
    for t in all_teams:  # teams without activity that day show 0, not nothing
        active.add((scope, exposed[t]), 0.0)
    for t, u in rows:
        label = (scope, exposed[t])
        active.add(label, 1.0)
        for name, f in per_team.items():
            f.add(label, _num(u.get(MEASURES[name])))
        team_credits.add(label, _num(u.get("ai_credits_used")))
    return fams + [active, *per_team.values(), team_credits]


def _repo_name(record: dict) -> str | None:
    for key in ("repository_full_name", "repo_full_name", "full_name", "repository", "repo_name", "repo"):
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("full_name") or value.get("name")
        if value not in (None, ""):
            return str(value)
    return None


def repos_families(scope: str, records: list[dict], max_values: int) -> list[Family]:
    """The repository report of one day: pull request figures and activity per repository."""
    named = [(name, r) for r in records if (name := _repo_name(r))]
    weight: dict[str, float] = defaultdict(float)
    for name, r in named:
        weight[name] += sum(_num(v) for v in (r.get("pull_requests") or {}).values()) + sum(
            _num(r.get(k)) for k in MEASURES.values()
        )
    exposed = _fold(weight, max_values)
    prs = Family.of(s.COPILOT_REPO_PULL_REQUESTS)
    measures = {name: Family.of(series) for name, series in s.COPILOT_REPO.items()}
    present: set[str] = set()
    for name, r in named:
        label = (scope, exposed[name])
        for kind, value in (r.get("pull_requests") or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                prs.add((*label, kind), value)
        for m, key in MEASURES.items():
            if key in r:
                present.add(m)
                measures[m].add(label, _num(r.get(key)))
    return [prs, *(f for m, f in measures.items() if m in present)]


def _parse_time(value) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def seats_families(scope: str, billing: dict | None, seats: list[dict], now: float, max_values: int) -> list[Family]:
    states = Family.of(s.COPILOT_SEATS)
    breakdown = (billing or {}).get("seat_breakdown") or {}
    if breakdown:
        for state in SEAT_STATES:
            if state in breakdown:
                states.add((scope, state), _num(breakdown[state]))
    else:
        states.add((scope, "total"), float(len(seats)))
    by_plan = Family.of(s.COPILOT_SEATS_BY_PLAN)
    never = Family.of(s.COPILOT_SEATS_NEVER_USED)
    idle = Family.of(s.COPILOT_SEATS_IDLE)
    never.add((scope,), 0.0)
    for days in IDLE_DAYS:
        idle.add((scope, str(days)), 0.0)
    team_weight: dict[str, float] = defaultdict(float)
    for seat in seats:
        team = _team_name({"team": seat.get("assigning_team")}) if seat.get("assigning_team") else None
        if team:
            team_weight[team] += 1
    exposed = _fold(team_weight, max_values)
    team_seats = Family.of(s.COPILOT_TEAM_SEATS)
    team_idle = Family.of(s.COPILOT_TEAM_SEATS_IDLE)
    for t in team_weight:
        for days in IDLE_DAYS:
            team_idle.add((scope, exposed[t], str(days)), 0.0)
    for seat in seats:
        by_plan.add((scope, str(seat.get("plan_type") or "unknown")), 1.0)
        last = _parse_time(seat.get("last_activity_at"))
        if last is None:
            never.add((scope,), 1.0)
        team = _team_name({"team": seat.get("assigning_team")}) if seat.get("assigning_team") else None
        if team:
            team_seats.add((scope, exposed[team]), 1.0)
        for days in IDLE_DAYS:
            if last is None or now - last > days * 86400:
                idle.add((scope, str(days)), 1.0)
                if team:
                    team_idle.add((scope, exposed[team], str(days)), 1.0)
    return [states, by_plan, never, idle, team_seats, team_idle]
