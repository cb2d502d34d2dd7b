"""Time from a session's first prompt to each commit made in it, as a histogram.

The git hook sends the session id of the agent that made a commit (`CLAUDE_CODE_SESSION_ID`,
which Claude Code sets in the shell its Bash tool runs); the commit store keeps it. The session's
first prompt comes from its events in Loki (session_starts). Each commit is looked up once; one
Loki has no events for yet is tried again at the next round, until it is a day old.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.registry import Collector

from agent_analytics.exporter.git.session_starts import LokiUnavailable, SessionStarts
from agent_analytics.exporter.git.store import CommitStore
from agent_analytics.vocabulary.series import COMMITTING_SESSIONS, SESSION_LOOKUP_ERRORS, TIME_TO_COMMIT

log = logging.getLogger(__name__)

LABELS = ("developer_id", "team_id", "agent")
BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, math.inf)
GIVE_UP_AFTER_SECONDS = 86400  # a commit whose session Loki still does not know by then stays unmeasured

_SCHEMA = """
CREATE TABLE IF NOT EXISTS session_commit_times (
    repo TEXT NOT NULL, sha TEXT NOT NULL, session_id TEXT NOT NULL,
    seconds REAL,  -- NULL: Loki never knew the session
    PRIMARY KEY (repo, sha)
) WITHOUT ROWID;
"""


class TimeToCommit(Collector):
    def __init__(self, data_dir: Path, store: CommitStore, loki_url: str | None):
        self.store = store
        self.starts = SessionStarts(loki_url) if loki_url else None
        self._lock = threading.Lock()
        self._db = sqlite3.connect(data_dir / "time_to_commit.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._done: dict[tuple[str, str], float | None] = {
            (repo, sha): seconds
            for repo, sha, seconds in self._db.execute("SELECT repo, sha, seconds FROM session_commit_times")
        }
        self.lookup_errors = 0

    def resolve(self, now: float | None = None) -> int:
        """Look up the sessions of commits not measured yet; returns how many were measured."""
        if self.starts is None:
            return 0
        now = time.time() if now is None else now
        measured = 0
        for repo, sha, session, committed_at, _ in self.store.session_commits():
            if (repo, sha) in self._done:
                continue
            try:
                began = self.starts.first_prompt_at(session, committed_at)
            except LokiUnavailable as e:
                self.lookup_errors += 1
                log.warning("session start not looked up, tried again later: %s", e)
                return measured
            if began is None and now - committed_at < GIVE_UP_AFTER_SECONDS:
                continue
            seconds = None if began is None else max(0.0, committed_at - began)
            with self._lock:
                self._db.execute(
                    "INSERT OR REPLACE INTO session_commit_times VALUES (?,?,?,?)", (repo, sha, session, seconds)
                )
                self._done[(repo, sha)] = seconds
            measured += seconds is not None
        return measured

    def collect(self) -> Iterator:
        with self._lock:
            done = dict(self._done)
        groups: dict[tuple[str, ...], list[float]] = {}
        sessions: dict[tuple[str, ...], set[str]] = {}
        for repo, sha, session, _, labels in self.store.session_commits():
            sessions.setdefault(tuple(labels[k] for k in LABELS), set()).add(session)
            seconds = done.get((repo, sha))
            if seconds is not None:
                groups.setdefault(tuple(labels[k] for k in LABELS), []).append(seconds)
        family = TIME_TO_COMMIT.family()
        for key, values in sorted(groups.items()):
            buckets = [(_le(b), sum(v <= b for v in values)) for b in BUCKETS]
            family.add_metric(list(key), buckets, sum_value=sum(values))
        yield family
        committing = COMMITTING_SESSIONS.family()
        for key, ids in sorted(sessions.items()):
            committing.add_metric(list(key), len(ids))
        yield committing
        yield SESSION_LOOKUP_ERRORS.family(value=self.lookup_errors)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self.starts:
            self.starts.close()


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)
