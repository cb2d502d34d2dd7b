"""Codex telemetry of the demo organisation: token counters of their turns, for part of the
onboarded developers. Their Codex runs on a ChatGPT plan, which no OpenAI report covers: it is
priced from the genai-prices table."""

import random

from agent_analytics.vocabulary import series as s

from .history import DemoHistory
from .organisation import COLLECTOR_JOB, Developer, work_probability

MODEL = "gpt-5-codex"


def codex_hour(h: DemoHistory, rng: random.Random, users: tuple[Developer, ...], t: int) -> None:
    """Token counters by token_type: input (cached_input included), ..., total."""
    for dev in users:
        if rng.random() < work_probability(t, dev) * 0.4:
            turns = rng.randint(1, 8)
            prompt, output = turns * rng.randint(5_000, 60_000), turns * rng.randint(300, 4_000)
            tokens = {
                "input": prompt,
                "cached_input": round(prompt * rng.uniform(0.4, 0.85)),
                "output": output,
                "reasoning_output": round(output * rng.uniform(0.2, 0.6)),
                "total": prompt + output,
            }
            labels = {"developer_id": dev.developer_id, "team_id": dev.team_id, "model": MODEL, **COLLECTOR_JOB}
            for kind, amount in tokens.items():
                h.add(s.CODEX_TOKENS, {**labels, "token_type": kind}, t, amount)
