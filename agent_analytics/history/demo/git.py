"""Commits of the demo organisation as the exporter counts them."""

import random

from agent_analytics.vocabulary import series as s

from .history import DemoHistory
from .organisation import EXPORTER_JOB, ORG, Developer


class Commit:
    """What one demo commit changed (the fields series.GIT_COUNTERS read)."""

    def __init__(self, rng: random.Random, assisted: bool):
        self.lines_added = rng.randint(3, 220 if assisted else 120)
        self.lines_deleted = rng.randint(0, self.lines_added)
        self.files_changed = rng.randint(1, 9)


def git_commit(h: DemoHistory, rng: random.Random, dev: Developer, t: int, agent: str, evidence: str) -> None:
    repo = f"github.com/{ORG}/{dev.team_id}-service"
    labels = {
        "repo": repo,
        "developer_id": dev.developer_id,
        "team_id": dev.team_id,
        "agent": agent,
        "evidence": evidence,
        **EXPORTER_JOB,
    }
    commit = Commit(rng, agent != "none")
    for name, amount in s.GIT_COUNTERS.items():
        h.add(name, labels, t, amount(commit))
    h.set(s.GIT_LAST_COMMIT, {"repo": repo, **EXPORTER_JOB}, t, t - rng.randint(1, 3599))
