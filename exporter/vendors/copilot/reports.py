"""Copilot report records -> gauge families (pure functions: records in, samples out).

Field names are GitHub's (usage metrics reports, seats API). Breakdown label sets are bounded:
per dimension the `max_values` largest values keep their name, the rest fold into "other".
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

# Prometheus name part -> report field, for every per-record activity figure.
MEASURES = {
    "user_initiated_interactions": "user_initiated_interaction_count",
    "code_generation_activities": "code_generation_activity_count",
    "code_acceptance_activities": "code_acceptance_activity_count",
    "loc_suggested_to_add": "loc_suggested_to_add_sum",
    "loc_suggested_to_delete": "loc_suggested_to_delete_sum",
    "loc_added": "loc_added_sum",
    "loc_deleted": "loc_deleted_sum",
}
ACTIVE_USERS = ("daily_active_users", "weekly_active_users", "monthly_active_users")
# Breakdown label -> the report lists that carry it, in order of preference (one list is used,
# never two, so nothing is counted twice).
BREAKDOWNS = {
    "ide": ("totals_by_ide",),
    "feature": ("totals_by_feature",),
    "language": ("totals_by_language_feature", "totals_by_language_model"),
    "model": ("totals_by_model_feature", "totals_by_language_model"),
}
SURFACES = {"agent": "used_agent", "chat": "used_chat", "cli": "used_cli"}
IDLE_DAYS = (7, 30, 90)
SEAT_STATES = (
    "total",
    "active_this_cycle",
    "inactive_this_cycle",
    "added_this_cycle",
    "pending_invitation",
    "pending_cancellation",
)
PREFIX = "agent_analytics_copilot_"


@dataclass
class Family:
    name: str
    help: str
    labels: tuple[str, ...]
    samples: dict[tuple[str, ...], float] = field(default_factory=dict)

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
        f = Family(PREFIX + name, f"Copilot {name.replace('_', ' ')} ({name}) of the latest report day.", ("scope",))
        for r in records:
            f.add((scope,), _num(r.get(name)))
        fams.append(f)
    for name, key in MEASURES.items():
        f = Family(PREFIX + name, f"Copilot {key} of the latest report day.", ("scope",))
        for r in records:
            f.add((scope,), _num(r.get(key)))
        fams.append(f)
    prs = Family(PREFIX + "pull_requests", "Numeric fields of the report's pull_requests object.", ("scope", "kind"))
    for r in records:
        for kind, value in (r.get("pull_requests") or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                prs.add((scope, kind), value)
    fams.append(prs)

    for label, sources in BREAKDOWNS.items():
        rows = []
        for r in records:
            source = next((s for s in sources if isinstance(r.get(s), list)), None)
            if source:
                rows.extend(row for row in r[source] if isinstance(row, dict) and row.get(label))
        weight: dict[str, float] = defaultdict(float)
        for row in rows:
            weight[str(row[label])] += sum(_num(row.get(k)) for k in MEASURES.values())
        exposed = _fold(weight, max_values)
        for name, key in MEASURES.items():
            f = Family(f"{PREFIX}{name}_by_{label}", f"Copilot {key} by {label}, latest report day.", ("scope", label))
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
    surfaces = Family(
        PREFIX + "active_users_by_surface",
        "Users of the report day who used Copilot's agent, chat or CLI.",
        ("scope", "surface"),
    )
    credits = Family(PREFIX + "ai_credits_used", "AI credits used by all users on the report day.", ("scope",))
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
    active = Family(PREFIX + "team_active_users", "Team members in the day's user report.", ("scope", "team"))
    per_team = {
        name: Family(f"{PREFIX}team_{name}", f"Copilot {key} summed over the team's users.", ("scope", "team"))
        for name, key in MEASURES.items()
        if name != "loc_suggested_to_delete"
    }
    team_credits = Family(PREFIX + "team_ai_credits_used", "AI credits used by the team's users.", ("scope", "team"))
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
    prs = Family(PREFIX + "repo_pull_requests", "Pull request figures per repository.", ("scope", "repo", "kind"))
    measures = {
        name: Family(f"{PREFIX}repo_{name}", f"Copilot {key} per repository.", ("scope", "repo"))
        for name, key in MEASURES.items()
    }
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
    states = Family(PREFIX + "seats", "Copilot seats by state (seat_breakdown of the billing API).", ("scope", "state"))
    breakdown = (billing or {}).get("seat_breakdown") or {}
    if breakdown:
        for state in SEAT_STATES:
            if state in breakdown:
                states.add((scope, state), _num(breakdown[state]))
    else:
        states.add((scope, "total"), float(len(seats)))
    by_plan = Family(PREFIX + "seats_by_plan", "Assigned Copilot seats by plan_type.", ("scope", "plan_type"))
    never = Family(PREFIX + "seats_never_used", "Copilot seats with no recorded activity.", ("scope",))
    idle = Family(PREFIX + "seats_idle", "Copilot seats without activity for `days` days.", ("scope", "days"))
    never.add((scope,), 0.0)
    for days in IDLE_DAYS:
        idle.add((scope, str(days)), 0.0)
    team_weight: dict[str, float] = defaultdict(float)
    for s in seats:
        team = _team_name({"team": s.get("assigning_team")}) if s.get("assigning_team") else None
        if team:
            team_weight[team] += 1
    exposed = _fold(team_weight, max_values)
    team_seats = Family(PREFIX + "team_seats", "Copilot seats assigned through the team.", ("scope", "team"))
    team_idle = Family(
        PREFIX + "team_seats_idle", "Team seats without activity for `days` days.", ("scope", "team", "days")
    )
    for t in team_weight:
        for days in IDLE_DAYS:
            team_idle.add((scope, exposed[t], str(days)), 0.0)
    for s in seats:
        by_plan.add((scope, str(s.get("plan_type") or "unknown")), 1.0)
        last = _parse_time(s.get("last_activity_at"))
        if last is None:
            never.add((scope,), 1.0)
        team = _team_name({"team": s.get("assigning_team")}) if s.get("assigning_team") else None
        if team:
            team_seats.add((scope, exposed[team]), 1.0)
        for days in IDLE_DAYS:
            if last is None or now - last > days * 86400:
                idle.add((scope, str(days)), 1.0)
                if team:
                    team_idle.add((scope, exposed[team], str(days)), 1.0)
    return [states, by_plan, never, idle, team_seats, team_idle]
