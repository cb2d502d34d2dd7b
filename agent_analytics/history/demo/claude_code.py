"""Claude Code telemetry of the demo organisation: an hour of work as the collector exposes it."""

import random
from datetime import UTC, datetime

from agent_analytics.vocabulary import series as s
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.token_prices import claude_cost_usd

from .history import DemoHistory
from .organisation import COLLECTOR_JOB, MODELS, ORG, Developer, draw_tokens

# Claude Code's tokens per API request, by telemetry token type: the range each draw picks from.
TOKENS_PER_REQUEST = {
    "input": (40, 900),
    "output": (250, 1_600),
    "cacheRead": (8_000, 45_000),
    "cacheCreation": (400, 4_000),
}


def claude_hour(h: DemoHistory, rng: random.Random, dev: Developer, t: int) -> int:
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
        h.add(s.CLAUDE_SESSIONS, {**who, "start_type": "fresh"}, t, rng.choice((1, 1, 2)))
    h.add(s.CLAUDE_ACTIVE_TIME, {**who, "type": "user"}, t, rng.randint(300, 1500))
    h.add(s.CLAUDE_ACTIVE_TIME, {**who, "type": "cli"}, t, rng.randint(600, 2700))
    models = [m for m, _ in MODELS]
    used = {rng.choices(models, weights=[w for _, w in MODELS])[0] for _ in range(rng.choice((1, 1, 2)))}
    for model in sorted(used):
        requests = rng.randint(3, 30)
        tokens = draw_tokens(rng, requests, TOKENS_PER_REQUEST)
        cost = claude_cost_usd(
            model, tokens["input"], tokens["output"], tokens["cacheRead"], tokens["cacheCreation"], at=at
        )
        label = normalise_model(model)  # named as the collector names it
        spend = {**who, "model": label, "query_source": "main"}
        h.add(s.CLAUDE_COST, spend, t, round(cost, 6))
        for kind, amount in tokens.items():
            h.add(s.CLAUDE_TOKENS, {**spend, "type": kind}, t, amount)
        h.add(s.CLAUDE_LINES, {**who, "model": label, "type": "added"}, t, rng.randint(0, 180))
        h.add(s.CLAUDE_LINES, {**who, "model": label, "type": "removed"}, t, rng.randint(0, 70))
    for tool in ("Edit", "Write"):
        decision = {
            **who,
            "tool_name": tool,
            "source": "config",
            "language": rng.choice(("Python", "TypeScript", "Go")),
        }
        h.add(s.CLAUDE_EDIT_DECISIONS, {**decision, "decision": "accept"}, t, rng.randint(0, 12))
        h.add(s.CLAUDE_EDIT_DECISIONS, {**decision, "decision": "reject"}, t, rng.randint(0, 2))
    commits = 1 if rng.random() < 0.3 else 0
    h.add(s.CLAUDE_COMMITS, who, t, commits)
    h.add(s.CLAUDE_PULL_REQUESTS, who, t, 1 if rng.random() < 0.05 else 0)
    return commits
