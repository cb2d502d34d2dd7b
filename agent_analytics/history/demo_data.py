"""A deterministic, realistic history of a multi-team organisation, as Prometheus series.

The series carry exactly the names and labels the embedded collector and the exporter produce,
so dashboards and `report` read demo data like live data. Every counter is a proper cumulative
counter (0 at the start, sampled on every step); the generator keeps each increment, so
`DemoHistory.total(...)` gives the ground truth of any window without going through Prometheus.
"""

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from agent_analytics.facts import JOB_COLLECTOR, JOB_EXPORTER
from agent_analytics.model_names import normalise_model

from .openmetrics import Series, counter_samples
from .pricing import claude_cost_usd

ORG = "acme"
DOMAIN = "acme.dev"
TEAMS = ("payments", "platform", "mobile", "data", "growth", "search")
NAMES = (
    "ana.silva", "ben.okafor", "chen.wei", "dara.murphy", "elif.kaya", "femi.adeyemi", "greta.lund",
    "hiro.tanaka", "ines.duarte", "jonas.berg", "kira.novak", "liam.walsh", "maya.patel", "nils.olsen",
    "olga.petrova", "pedro.costa", "quinn.harper", "rosa.mendez", "sami.haddad", "tara.singh",
    "ugo.rossi", "vera.kovac", "wei.zhang", "yara.nasser",
)  # fmt: skip
MODELS = (("claude-sonnet-4-5", 0.6), ("claude-opus-4-5", 0.25), ("claude-haiku-4-5", 0.15))
COMMIT_AGENTS = (("copilot", "trailer"), ("cursor", "trailer"), ("none", "none"))
COLLECTOR_JOB = {"job": JOB_COLLECTOR, "instance": "127.0.0.1:8889"}
EXPORTER_JOB = {"job": JOB_EXPORTER, "instance": "127.0.0.1:9465"}
COPILOT_SCOPE = f"org/{ORG}"
COPILOT_LAG_DAYS = 2  # Copilot's daily reports land about two days late

BUDGETS_USD = {"payments": 350.0, "platform": 1200.0, "mobile": 500.0, "data": 700.0, "growth": 400.0, "search": 600.0}
SEAT_PRICES_USD = {"copilot": 19.0, "cursor": 40.0}
ROI = {"hourly_rate_usd": 95.0, "minutes_saved_per_accepted_line": 0.25, "minutes_saved_per_assisted_commit": 20.0}


@dataclass(frozen=True)
class Developer:
    developer_id: str
    team_id: str
    user_id: str
    intensity: float  # how much of the working day they spend with Claude Code
    other_agent: str  # the agent besides Claude Code behind some of their commits
    copilot_seat: bool


@dataclass
class DemoHistory:
    start: int
    end: int
    step: int
    developers: list[Developer]
    counters: dict[tuple, dict[int, float]] = field(default_factory=dict)  # (name, labels) -> {t: amount}
    gauges: dict[tuple, dict[int, float]] = field(default_factory=dict)
    offsets: dict[tuple, float] = field(default_factory=dict)  # counter values a previous run ended with
    vendor_carry: dict = field(default_factory=dict)  # see DemoState.vendor_carry

    def add(self, name: str, labels: dict[str, str], t: int, amount: float) -> None:
        if amount:
            per_time = self.counters.setdefault((name, tuple(sorted(labels.items()))), {})
            per_time[t] = per_time.get(t, 0.0) + amount

    def set(self, name: str, labels: dict[str, str], t: int, value: float) -> None:
        self.gauges.setdefault((name, tuple(sorted(labels.items()))), {})[t] = value

    def series(self) -> list[Series]:
        out = []
        for key in sorted(set(self.counters) | set(self.offsets)):
            samples = counter_samples(self.counters.get(key, {}), self.start, self.end, self.step)
            offset = self.offsets.get(key, 0.0)
            out.append(Series(key[0], dict(key[1]), "counter", [(t, v + offset) for t, v in samples]))
        out += [
            Series(name, dict(labels), "gauge", sorted(values.items()))
            for (name, labels), values in sorted(self.gauges.items())
        ]
        return out

    def state(self, seed: int) -> "DemoState":
        totals = dict(self.offsets)
        for key, per_time in self.counters.items():
            totals[key] = totals.get(key, 0.0) + sum(per_time.values())
        totals_json = {_state_key(*k): v for k, v in sorted(totals.items())}
        return DemoState(seed, len(self.developers), self.end, totals_json, self.vendor_carry)

    def total(
        self,
        name: str,
        since: int,
        until: int,
        by: tuple[str, ...] = (),
        where: Callable[[dict[str, str]], bool] = lambda labels: True,
    ) -> dict[tuple[str, ...], float]:
        """Sum of a counter's increments in (since, until], grouped by the labels `by`."""
        out: dict[tuple[str, ...], float] = {}
        for (series_name, labels), per_time in self.counters.items():
            labels_map = dict(labels)
            if series_name != name or not where(labels_map):
                continue
            amount = sum(v for t, v in per_time.items() if since < t <= until)
            key = tuple(labels_map.get(label, "") for label in by)
            out[key] = out.get(key, 0.0) + amount
        return out

    def gauge_samples(self, name: str, since: int, until: int, where=lambda labels: True) -> list[float]:
        """Values of a gauge sampled in [since, until] (Prometheus' closed range windows)."""
        return [
            v
            for (series_name, labels), values in self.gauges.items()
            if series_name == name and where(dict(labels))
            for t, v in values.items()
            if since <= t <= until
        ]


def person_name(i: int) -> str:
    """The name of the organisation's `i`-th person (names repeat with a number beyond the list)."""
    return NAMES[i % len(NAMES)] + (str(i // len(NAMES) + 1) if i >= len(NAMES) else "")


def _developers(count: int, rng: random.Random) -> list[Developer]:
    teams = TEAMS[: max(1, min(len(TEAMS), round(count / 4)))]
    people = []
    for i in range(count):
        email = f"{person_name(i)}@{DOMAIN}"
        people.append(
            Developer(
                developer_id=email,
                team_id=teams[i % len(teams)],
                user_id=hashlib.sha256(email.encode()).hexdigest(),
                intensity=rng.uniform(0.35, 1.0),
                other_agent=rng.choice(("copilot", "copilot", "cursor", "none")),
                copilot_seat=rng.random() < 0.75,
            )
        )
    return people


# Claude Code's tokens per API request, by telemetry token type: the range each draw picks from.
CLAUDE_TOKENS_PER_REQUEST = {
    "input": (40, 900),
    "output": (250, 1_600),
    "cacheRead": (8_000, 45_000),
    "cacheCreation": (400, 4_000),
}


def draw_tokens(rng: random.Random, requests: int, per_request: dict[str, tuple[int, int]]) -> dict[str, int]:
    """The tokens of `requests` requests by type, one draw per type from its per-request range, in order."""
    return {kind: requests * rng.randint(low, high) for kind, (low, high) in per_request.items()}


def work_probability(t: int, dev: Developer) -> float:
    moment = datetime.fromtimestamp(t - 1, UTC)  # the hour the bucket covers
    if moment.weekday() >= 5:
        return 0.04 * dev.intensity
    return 0.6 * dev.intensity if 8 <= moment.hour < 18 else 0.05 * dev.intensity


def _claude_hour(h: DemoHistory, rng: random.Random, dev: Developer, t: int) -> int:
    """One working hour with Claude Code; returns the commits Claude Code made."""
    who = {
        "developer_id": dev.developer_id,
        "team_id": dev.team_id,
        "user_email": dev.developer_id,
        "user_id": dev.user_id,
        "organization_id": f"org-{ORG}",
        "terminal_type": "vscode" if dev.intensity > 0.7 else "iTerm.app",
        **COLLECTOR_JOB,
    }
    at = datetime.fromtimestamp(t, UTC)
    if rng.random() < 0.35:
        h.add("claude_code_session_count_total", {**who, "start_type": "fresh"}, t, rng.choice((1, 1, 2)))
    h.add("claude_code_active_time_seconds_total", {**who, "type": "user"}, t, rng.randint(300, 1500))
    h.add("claude_code_active_time_seconds_total", {**who, "type": "cli"}, t, rng.randint(600, 2700))
    models = [m for m, _ in MODELS]
    used = {rng.choices(models, weights=[w for _, w in MODELS])[0] for _ in range(rng.choice((1, 1, 2)))}
    for model in sorted(used):
        requests = rng.randint(3, 30)
        tokens = draw_tokens(rng, requests, CLAUDE_TOKENS_PER_REQUEST)
        cost = claude_cost_usd(
            model, tokens["input"], tokens["output"], tokens["cacheRead"], tokens["cacheCreation"], at=at
        )
        label = normalise_model(model)  # named as the collector names it
        spend = {**who, "model": label, "query_source": "main"}
        h.add("claude_code_cost_usage_USD_total", spend, t, round(cost, 6))
        for kind, amount in tokens.items():
            h.add("claude_code_token_usage_tokens_total", {**spend, "type": kind}, t, amount)
        h.add("claude_code_lines_of_code_count_total", {**who, "model": label, "type": "added"}, t, rng.randint(0, 180))
        h.add(
            "claude_code_lines_of_code_count_total", {**who, "model": label, "type": "removed"}, t, rng.randint(0, 70)
        )
    for tool in ("Edit", "Write"):
        decision = {
            **who,
            "tool_name": tool,
            "source": "config",
            "language": rng.choice(("Python", "TypeScript", "Go")),
        }
        h.add("claude_code_code_edit_tool_decision_total", {**decision, "decision": "accept"}, t, rng.randint(0, 12))
        h.add("claude_code_code_edit_tool_decision_total", {**decision, "decision": "reject"}, t, rng.randint(0, 2))
    commits = 1 if rng.random() < 0.3 else 0
    h.add("claude_code_commit_count_total", who, t, commits)
    h.add("claude_code_pull_request_count_total", who, t, 1 if rng.random() < 0.05 else 0)
    return commits


def _git_commit(h: DemoHistory, rng: random.Random, dev: Developer, t: int, agent: str, evidence: str) -> None:
    repo = f"github.com/{ORG}/{dev.team_id}-service"
    labels = {
        "repo": repo,
        "developer_id": dev.developer_id,
        "team_id": dev.team_id,
        "agent": agent,
        "evidence": evidence,
        **EXPORTER_JOB,
    }
    added = rng.randint(3, 220 if agent != "none" else 120)
    h.add("agent_analytics_git_commits_total", labels, t, 1)
    h.add("agent_analytics_git_lines_added_total", labels, t, added)
    h.add("agent_analytics_git_lines_deleted_total", labels, t, rng.randint(0, added))
    h.add("agent_analytics_git_files_changed_total", labels, t, rng.randint(1, 9))
    h.set(
        "agent_analytics_git_last_commit_timestamp_seconds", {"repo": repo, **EXPORTER_JOB}, t, t - rng.randint(1, 3599)
    )


def _config_gauges(h: DemoHistory, t: int, teams: list[str], developers: list[Developer]) -> None:
    for team in teams:
        h.set("agent_analytics_budget_monthly_usd", {"team_id": team, **EXPORTER_JOB}, t, BUDGETS_USD[team])
    for agent, price in SEAT_PRICES_USD.items():
        h.set("agent_analytics_seat_price_monthly_usd", {"agent": agent, **EXPORTER_JOB}, t, price)
    cursor_seats = sum(1 for d in developers if d.other_agent == "cursor") + 1
    h.set("agent_analytics_seats_paid", {"agent": "cursor", **EXPORTER_JOB}, t, cursor_seats)
    for key, value in ROI.items():
        h.set(f"agent_analytics_roi_{key}", EXPORTER_JOB, t, value)


def _copilot_day(rng: random.Random, developers: list[Developer], day_start: int) -> dict:
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


def _set_copilot(h: DemoHistory, t: int, report: dict, day: int) -> None:
    scope = {"scope": COPILOT_SCOPE, **EXPORTER_JOB}
    totals: dict[str, float] = {}
    for team, figures in report["by_team"].items():
        for key, value in figures.items():
            h.set(f"agent_analytics_copilot_team_{key}", {**scope, "team": team}, t, value)
            totals[key] = totals.get(key, 0) + value
    h.set("agent_analytics_copilot_daily_active_users", scope, t, totals.get("active_users", 0))
    for key in ("code_generation_activities", "code_acceptance_activities", "loc_suggested_to_add", "loc_added"):
        h.set(f"agent_analytics_copilot_{key}", scope, t, totals.get(key, 0))
    h.set("agent_analytics_copilot_seats", {**scope, "state": "total"}, t, report["users"])
    h.set("agent_analytics_copilot_seats", {**scope, "state": "active_this_cycle"}, t, report["active_cycle"])
    h.set(
        "agent_analytics_copilot_seats",
        {**scope, "state": "inactive_this_cycle"},
        t,
        report["users"] - report["active_cycle"],
    )
    h.set("agent_analytics_copilot_report_day_timestamp_seconds", {**scope, "report": "organization-1-day"}, t, day)
    h.set("agent_analytics_copilot_up", scope, t, 1)


@dataclass
class DemoState:
    """What a demo run left in a TSDB, so the next run continues the same counters from there."""

    seed: int
    developers: int
    end: int
    totals: dict[str, float]  # series key (see _state_key) -> counter value at `end`
    # what the vendor reports of the day and month in progress at `end` hold so far (demo_vendors.vendor_days)
    vendor_carry: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DemoState":
        return cls(**json.loads(text))


def _state_key(name: str, labels: tuple) -> str:
    return json.dumps([name, list(labels)])


def _copilot_report(seed: int, people: list[Developer], day: int, cache: dict[int, dict]) -> dict:
    """The Copilot report of `day`, the same whichever run asks; seat activity accumulates over the
    billing cycle, which starts on the 1st."""
    if day not in cache:
        cache[day] = _copilot_day(random.Random(f"{seed}:copilot:{day}"), people, day)
    report = cache[day]
    if "active_cycle" not in report:
        first = int(datetime.fromtimestamp(day, UTC).replace(day=1).timestamp())
        active: set[str] = set()
        for d in range(first, day + 1, 86400):
            if d not in cache:
                cache[d] = _copilot_day(random.Random(f"{seed}:copilot:{d}"), people, d)
            active |= cache[d]["active"]
        report["active_cycle"] = len(active)
    return report


def generate(
    developers: int = 12,
    days: int = 30,
    seed: int = 1,
    end: int | None = None,
    step: int = 3600,
    progress: Callable[[int], None] | None = None,
    resume: DemoState | None = None,
) -> DemoHistory:
    """History of `developers` people over `days` days ending at `end` (default now), one sample per `step`.

    With `resume`, the history continues a previous run from its end instead (counters go on
    from its totals; `days` is then ignored). `progress` is called with the steps done.
    """
    from . import demo_vendors  # builds on this module's people and history

    if developers < 1 or days < 1:
        raise ValueError("developers and days must be at least 1")
    end = end if end is not None else int(datetime.now(UTC).timestamp())
    start = resume.end if resume else end - days * 86400
    if end <= start:
        raise ValueError("the history would end before it starts")
    people = _developers(developers, random.Random(seed))
    rng = random.Random(f"{seed}:{start}")
    teams = sorted({d.team_id for d in people})
    h = DemoHistory(start=start, end=end, step=step, developers=people)
    if resume:
        for key, value in resume.totals.items():
            name, labels = json.loads(key)
            h.offsets[(name, tuple(tuple(pair) for pair in labels))] = value
    # The other agents draw from their own stream: the Claude Code history stays the same without them.
    crew = demo_vendors.cast(seed, people)
    agents_rng = random.Random(f"{seed}:{start}:agents")
    copilot: dict[int, dict] = {}
    times = list(range(start, end + 1, step))
    if times[-1] != end:
        times.append(end)
    for t in times:
        if t > start:
            for dev in people:
                claude_commits = _claude_hour(h, rng, dev, t) if rng.random() < work_probability(t, dev) else 0
                for _ in range(claude_commits):
                    _git_commit(h, rng, dev, t, "claude-code", "session")
                if rng.random() < work_probability(t, dev) * 0.3:
                    agent, evidence = dev.other_agent, "trailer" if dev.other_agent != "none" else "none"
                    _git_commit(h, rng, dev, t, agent, evidence)
                if rng.random() < work_probability(t, dev) * 0.25:
                    _git_commit(h, rng, dev, t, "none", "none")
            demo_vendors.telemetry_hour(h, agents_rng, crew, t)
        _config_gauges(h, t, teams, people)
        demo_vendors.exporter_gauges(h, t)
        report_day = t // 86400 * 86400 - COPILOT_LAG_DAYS * 86400
        _set_copilot(h, t, _copilot_report(seed, people, report_day, copilot), report_day)
        if progress:
            progress(1)
    h.vendor_carry = demo_vendors.vendor_days(h, seed, crew, resume.vendor_carry if resume else {})
    return h
