"""The demo history: every hour of the organisation's work through each agent and source.

The series carry exactly the names and labels the embedded collector and the exporter produce,
so dashboards and `report` read demo data like live data. Every counter is a proper cumulative
counter (0 at the start, sampled on every step); the generator keeps each increment, so
`DemoHistory.total(...)` gives the ground truth of any window without going through Prometheus.
"""

import random
from collections.abc import Callable
from datetime import UTC, datetime

from . import copilot
from .claude_code import claude_hour
from .codex import codex_hour
from .exporter_state import config_gauges, vendor_and_price_gauges
from .gemini_cli import gemini_hour
from .git import git_commit
from .history import DemoHistory, DemoState
from .organisation import cast, staff, work_probability
from .vendors import vendor_days


def generate(
    developers: int = 12,
    days: int = 30,
    seed: int = 1,
    end: int | None = None,
    step: int = 3600,
    progress: Callable[[int], None] | None = None,
    resume: DemoState | None = None,
) -> DemoHistory:
    """History of `developers` people over `days` days ending at `end` (default now), one
    sample per `step`.

    With `resume`, the history continues a previous run from its end instead (counters go on
    from its totals; `days` is then ignored). `progress` is called with the steps done.
    """
    if developers < 1 or days < 1:
        raise ValueError("developers and days must be at least 1")
    end = end if end is not None else int(datetime.now(UTC).timestamp())
    start = resume.end if resume else end - days * 86400
    if end <= start:
        raise ValueError("the history would end before it starts")
    people = staff(developers, random.Random(seed))
    rng = random.Random(f"{seed}:{start}")
    teams = sorted({d.team_id for d in people})
    h = DemoHistory(start=start, end=end, step=step, developers=people)
    if resume:
        h.resume_from(resume)
    # The other agents draw from their own stream: the Claude Code history stays the same without them.
    crew = cast(seed, people)
    agents_rng = random.Random(f"{seed}:{start}:agents")
    reports: dict[int, dict] = {}
    times = list(range(start, end + 1, step))
    if times[-1] != end:
        times.append(end)
    for t in times:
        if t > start:
            for dev in people:
                claude_commits = claude_hour(h, rng, dev, t) if rng.random() < work_probability(t, dev) else 0
                for _ in range(claude_commits):
                    git_commit(h, rng, dev, t, "claude-code", "session")
                if rng.random() < work_probability(t, dev) * 0.3:
                    agent, evidence = dev.other_agent, "trailer" if dev.other_agent != "none" else "none"
                    git_commit(h, rng, dev, t, agent, evidence)
                if rng.random() < work_probability(t, dev) * 0.25:
                    git_commit(h, rng, dev, t, "none", "none")
            gemini_hour(h, agents_rng, crew.gemini, t)
            codex_hour(h, agents_rng, crew.codex, t)
        config_gauges(h, t, teams, people)
        vendor_and_price_gauges(h, t)
        day = copilot.report_day(t)
        copilot.set_copilot(h, t, copilot.report(seed, people, day, reports), day)
        if progress:
            progress(1)
    h.vendor_carry = vendor_days(h, seed, crew, resume.vendor_carry if resume else {})
    return h
