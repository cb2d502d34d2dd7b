"""Counters whose increments happened in the past, written into Prometheus at their own times.

Prometheus cannot scrape the past, so history (commits made before a repository was added, a
commit delivered late) goes in through remote write with the increments' own timestamps:

* `stage(db, increments)` records increments inside the caller's SQLite transaction, so what the
  caller acknowledged is durable before anything is sent.
* `push(db, url)` turns everything staged into cumulative samples and writes them; only an
  acknowledged write removes what was staged. A write repeated after a crash sends identical
  samples, which Prometheus keeps once.

Layout of a series (`history_samples`): 0 one second before its first increment, the running
total at every increment's time and at every midnight UTC in between, so every window that
growth() looks at finds a value at most a day before its start and counts each increment exactly
where it happened. A series is never rewritten: increments older than the last sample of every
existing series of the label set go into a new series, told apart by a `lane` label ("1", "2",
...), so no counter ever goes backwards. The same increments always give the same samples, which
is what lets `backfill` blocks and pushed history of one repository coincide instead of adding up.
"""

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from agent_analytics.wire import remote_write

DAY = 86400
LANE = "lane"
WRITABLE_DAYS = 400  # Prometheus' out-of-order window in `up` and compose; older samples are refused

_SCHEMA = """
CREATE TABLE IF NOT EXISTS past_pending (name TEXT NOT NULL, labels TEXT NOT NULL, t INTEGER NOT NULL,
    amount REAL NOT NULL);
CREATE TABLE IF NOT EXISTS past_series (name TEXT NOT NULL, labels TEXT NOT NULL, lane INTEGER NOT NULL,
    last_t INTEGER NOT NULL, last_value REAL NOT NULL, PRIMARY KEY (name, labels, lane));
"""


@dataclass(frozen=True)
class PastIncrement:
    name: str  # the sample name, e.g. agent_analytics_git_commits_total
    labels: tuple[tuple[str, str], ...]  # sorted
    t: int  # unix seconds
    amount: float


def history_samples(increments: list[tuple[int, float]], after: tuple[int, float] | None = None):
    """(unix seconds, running total) samples for time-sorted `increments` of one series.

    `after` = (time, value) of the series' last written sample, when extending it.
    """
    if after is None:
        start, total = increments[0][0] - 1, 0.0
        samples = [(start, 0.0)]
    else:
        (start, total), samples = after, []
    by_time: dict[int, float] = {}
    for t, amount in increments:
        by_time[t] = by_time.get(t, 0.0) + amount
    last = max(by_time)
    midnights = range((start // DAY + 1) * DAY, last, DAY)
    for t in sorted(set(midnights) | set(by_time)):
        total += by_time.get(t, 0.0)
        samples.append((t, total))
    return samples


def create_tables(db: sqlite3.Connection) -> None:
    db.executescript(_SCHEMA)


def stage(db: sqlite3.Connection, increments: Iterable[PastIncrement]) -> None:
    """Record increments; run inside the caller's transaction."""
    db.executemany(
        "INSERT INTO past_pending VALUES (?,?,?,?)",
        [(i.name, json.dumps(list(i.labels)), int(i.t), i.amount) for i in increments if i.amount],
    )


def pending_count(db: sqlite3.Connection) -> int:
    return db.execute("SELECT COUNT(*) FROM past_pending").fetchone()[0]


@dataclass
class PushResult:
    series: int = 0
    samples: int = 0


def plan(db: sqlite3.Connection, now: float | None = None):
    """What to send for everything staged: (series to write, lane updates, last staged rowid)."""
    rows = db.execute("SELECT rowid, name, labels, t, amount FROM past_pending ORDER BY rowid").fetchall()
    if not rows:
        return [], [], 0
    groups: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for _, name, labels, t, amount in rows:
        groups.setdefault((name, labels), []).append((t, amount))
    lanes: dict[tuple[str, str], dict[int, tuple[int, float]]] = {}
    for name, labels, lane, last_t, last_value in db.execute("SELECT * FROM past_series"):
        lanes.setdefault((name, labels), {})[lane] = (last_t, last_value)
    oldest = int(now if now is not None else time.time()) - WRITABLE_DAYS * DAY + 3600
    series, updates = [], []
    for (name, labels), increments in sorted(groups.items()):
        increments.sort()
        existing = lanes.get((name, labels), {})
        fits = [lane for lane, (last_t, _) in existing.items() if last_t < increments[0][0]]
        lane = max(fits, key=lambda n: existing[n][0]) if fits else (max(existing) + 1 if existing else 0)
        samples = history_samples(increments, existing.get(lane))
        updates.append((name, labels, lane, samples[-1][0], samples[-1][1]))
        label_map = {"__name__": name, **dict(json.loads(labels)), **({LANE: str(lane)} if lane else {})}
        kept = [(t * 1000, v) for t, v in samples if t >= oldest]
        if kept:
            series.append((label_map, kept))
    return series, updates, rows[-1][0]


def push(db: sqlite3.Connection, url: str, lock: threading.Lock, now: float | None = None) -> PushResult:
    """Send everything staged to the Prometheus at `url`; RemoteWriteError leaves it staged.

    `lock` guards `db` (shared with the caller's writers); it is not held while sending.
    """
    with lock:
        series, updates, last_row = plan(db, now)
    if not updates:
        return PushResult()
    samples = remote_write.push(url, series)
    with lock:
        db.execute("BEGIN")
        try:
            db.execute("DELETE FROM past_pending WHERE rowid <= ?", (last_row,))
            db.executemany("INSERT OR REPLACE INTO past_series VALUES (?,?,?,?,?)", updates)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return PushResult(len(series), samples)
