"""The demo organisation: its teams, people, budgets and prices, who uses which agent, and when
people work."""

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from agent_analytics.vocabulary.facts import JOB_COLLECTOR, JOB_EXPORTER

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
COLLECTOR_JOB = {"job": JOB_COLLECTOR, "instance": "127.0.0.1:8889"}
EXPORTER_JOB = {"job": JOB_EXPORTER, "instance": "127.0.0.1:9465"}

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


def person_name(i: int) -> str:
    """The name of the organisation's `i`-th person (names repeat with a number beyond the list)."""
    return NAMES[i % len(NAMES)] + (str(i // len(NAMES) + 1) if i >= len(NAMES) else "")


def staff(count: int, rng: random.Random) -> list[Developer]:
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


@dataclass(frozen=True)
class Cast:
    """Who shows up where besides Claude Code telemetry, so that every view has people to show."""

    gemini: tuple[Developer, ...]  # Gemini CLI telemetry
    codex: tuple[Developer, ...]  # Codex telemetry (ChatGPT plan: in no OpenAI report)
    cursor: tuple[Developer, ...]  # Cursor Admin API
    reconciled: Developer  # Claude Code telemetry and the Anthropic Admin API
    claude_api_only: Developer  # never onboarded: Claude Code in the Admin API only
    api_key_user: Developer  # never onboarded: Cursor, and Codex with an API key (OpenAI report)

    @property
    def not_onboarded(self) -> tuple[Developer, ...]:
        """People only the vendors' APIs know: they never ran `init`."""
        return (self.claude_api_only, self.api_key_user)


def cast(seed: int, people: list[Developer]) -> Cast:
    rng = random.Random(f"{seed}:not-onboarded")
    teams = sorted({d.team_id for d in people})
    outsiders = []
    for i in range(len(people), len(people) + 2):
        email = f"{person_name(i)}@{DOMAIN}"
        user_id = hashlib.sha256(email.encode()).hexdigest()
        outsiders.append(Developer(email, teams[i % len(teams)], user_id, rng.uniform(0.6, 1.0), "cursor", False))
    return Cast(
        gemini=tuple(d for i, d in enumerate(people) if i % 4 == 1),
        codex=tuple(d for i, d in enumerate(people) if i % 3 == 2),
        cursor=tuple(d for d in people if d.other_agent == "cursor") + (outsiders[1],),
        reconciled=people[0],
        claude_api_only=outsiders[0],
        api_key_user=outsiders[1],
    )


def work_probability(t: int, dev: Developer) -> float:
    moment = datetime.fromtimestamp(t - 1, UTC)  # the hour the bucket covers
    if moment.weekday() >= 5:
        return 0.04 * dev.intensity
    return 0.6 * dev.intensity if 8 <= moment.hour < 18 else 0.05 * dev.intensity


def draw_tokens(rng: random.Random, requests: int, per_request: dict[str, tuple[int, int]]) -> dict[str, int]:
    """The tokens of `requests` requests by type, one draw per type from its per-request range, in order."""
    return {kind: requests * rng.randint(low, high) for kind, (low, high) in per_request.items()}


def pick(rng: random.Random, weighted) -> str:
    """One name of (name, ..., weight) rows, drawn by weight."""
    return rng.choices([m[0] for m in weighted], weights=[m[-1] for m in weighted])[0]
