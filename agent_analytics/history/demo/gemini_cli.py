"""Gemini CLI telemetry of the demo organisation: token counters by model, for part of the
onboarded developers. Gemini CLI reports no cost: it is priced from the genai-prices table."""

import random

from agent_analytics.vocabulary import series as s

from .history import DemoHistory
from .organisation import COLLECTOR_JOB, Developer, pick, work_probability

MODELS = (("gemini-2.5-pro", 0.7), ("gemini-2.5-flash", 0.3))


def gemini_hour(h: DemoHistory, rng: random.Random, users: tuple[Developer, ...], t: int) -> None:
    """Token counters by type: input (cache included), cache, output, thought."""
    for dev in users:
        if rng.random() < work_probability(t, dev) * 0.5:
            calls = rng.randint(2, 20)
            prompt = calls * rng.randint(2_000, 30_000)
            tokens = {
                "input": prompt,
                "cache": round(prompt * rng.uniform(0.2, 0.7)),
                "output": calls * rng.randint(150, 1_500),
                "thought": calls * rng.randint(0, 800),
            }
            labels = {"developer_id": dev.developer_id, "team_id": dev.team_id, **COLLECTOR_JOB}
            labels["model"] = pick(rng, MODELS)
            for kind, amount in tokens.items():
                h.add(s.GEMINI_TOKENS, {**labels, "type": kind}, t, amount)
