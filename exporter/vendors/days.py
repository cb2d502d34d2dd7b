"""The vendors' daily figures, each day counted once, in SQLite under the exporter's data dir.

Prometheus cannot scrape the past, so a day's figures go in through remote write at the day's
own time (`exporter.vendors.day_sample_time`). For every (source, series, labels, day) the store
keeps the value committed so far and the number of writes `k`:

* `record(source, day, figures)` takes the complete figures of one day. For each series of that
  source and day, new value (0 for a series the day no longer has) minus committed value, when
  not zero, is staged as a sample (day_sample_time(day, k), difference), and the committed value
  and `k` move on in the same transaction. So a re-fetch of an unchanged day stages nothing, a
  revision stages one correction, and a day that appears late is written at its own time.
* `push(url)` sends every staged sample and removes it only once Prometheus acknowledged it.
  Staged samples are never replaced, so a push repeated after a crash sends identical samples,
  which Prometheus keeps once.

Live days and backfilled history never overlap: on its first run a source starts after the
newest day Prometheus already holds for it (what `backfill vendor` wrote) and records that
first day as `first_live_day`; the store never writes a day before it. The backfill, in turn,
writes only days before the earliest sample of the source's live series.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from agent_analytics.exporter.vendors.figures import DayFigure, add_up, day_sample_time, day_sample_time_queries
from agent_analytics.vocabulary.series import VENDOR_COST
from agent_analytics.wire import remote_write
from agent_analytics.wire.prom_query import Prometheus, PrometheusError

FILE_NAME = "vendor_days.sqlite3"
# A difference smaller than this is float noise from re-adding the same cents, not a revision.
EPSILON = 1e-9

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vendor_committed (source TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL,
    day TEXT NOT NULL, value REAL NOT NULL, writes INTEGER NOT NULL, PRIMARY KEY (source, name, labels, day));
CREATE TABLE IF NOT EXISTS vendor_staged (source TEXT NOT NULL, day TEXT NOT NULL, name TEXT NOT NULL,
    labels TEXT NOT NULL, t INTEGER NOT NULL, amount REAL NOT NULL);
CREATE TABLE IF NOT EXISTS vendor_days_held (source TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (source, day));
CREATE TABLE IF NOT EXISTS vendor_sources (source TEXT PRIMARY KEY, first_live_day TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Recorded:
    staged: int  # samples staged by this call (0: the day was already committed as it is)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class PrometheusUnreachable(Exception):
    pass


def newest_day_in_prometheus(prometheus_url: str, source: str, timeout: float = 30.0) -> date | None:
    """The newest day whose sample Prometheus holds for `source` (e.g. written by the backfill)."""
    prom = Prometheus(prometheus_url, timeout=timeout)
    now = int(time.time())
    try:
        found = [value for q in day_sample_time_queries(source, "max", "400d") for _, value in prom.query(q, now)]
    except PrometheusError as e:
        raise PrometheusUnreachable(f"cannot ask Prometheus which days it holds: {e}") from None
    finally:
        prom.close()
    return datetime.fromtimestamp(max(found), UTC).date() if found else None


class VendorDays:
    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / FILE_NAME
        self._lock = threading.Lock()
        self._push_lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed day survives a power cut too
        self._db.executescript(_SCHEMA)

    # --- which days to fetch --------------------------------------------------------------------

    def first_live_day(self, source: str) -> date | None:
        with self._lock:
            row = self._db.execute("SELECT first_live_day FROM vendor_sources WHERE source = ?", (source,)).fetchone()
        return date.fromisoformat(row[0]) if row else None

    def start_live(self, source: str, first_day: date) -> date:
        """Record the first day the store owns for `source` (kept if already set); returns it."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO vendor_sources VALUES (?, ?)", (source, first_day.isoformat()))
            row = self._db.execute("SELECT first_live_day FROM vendor_sources WHERE source = ?", (source,)).fetchone()
        return date.fromisoformat(row[0])

    def days_held(self, source: str) -> set[date]:
        with self._lock:
            rows = self._db.execute("SELECT day FROM vendor_days_held WHERE source = ?", (source,)).fetchall()
        return {date.fromisoformat(d) for (d,) in rows}

    def days_to_fetch(self, source: str, today: date, refetch_days: int, history_days: int) -> list[date]:
        """Complete UTC days (never today) to fetch now, for a source that has a first_live_day:
        the last `refetch_days` days (the vendor may still revise them) and every day since the
        first live day that the vendor could not give yet."""
        first = self.first_live_day(source)
        if first is None:
            raise ValueError(f"{source}: no first live day yet; call first_run_start and start_live")
        yesterday = today - timedelta(days=1)
        held = self.days_held(source)
        recent = today - timedelta(days=refetch_days)
        oldest = max(first, today - timedelta(days=history_days))
        return (
            [d for d in days_between(oldest, yesterday) if d >= recent or d not in held] if oldest <= yesterday else []
        )

    @staticmethod
    def first_run_start(today: date, refetch_days: int, history_days: int, newest_in_prometheus: date | None) -> date:
        """The first day a new source owns: as far back as its history reaches, but after the
        newest day Prometheus already holds for it (backfilled history is not written twice)."""
        start = today - timedelta(days=max(refetch_days, history_days))
        if newest_in_prometheus is not None:
            start = max(start, newest_in_prometheus + timedelta(days=1))
        return start

    # --- recording and writing ------------------------------------------------------------------

    def record(self, source: str, day: date, figures: list[DayFigure]) -> Recorded:
        """Commit the complete figures of one day; stages what changed since the last record."""
        day_s = day.isoformat()
        new = {(f.name, json.dumps(list(f.labels))): f.value for f in add_up(figures)}
        with self._lock:
            first = self._db.execute("SELECT first_live_day FROM vendor_sources WHERE source = ?", (source,)).fetchone()
            if first is None or day_s < first[0]:
                raise ValueError(f"{source}: {day_s} is before the first live day; it belongs to the backfill")
            self._db.execute("BEGIN")
            try:
                committed = {
                    (name, labels): (value, writes)
                    for name, labels, value, writes in self._db.execute(
                        "SELECT name, labels, value, writes FROM vendor_committed WHERE source = ? AND day = ?",
                        (source, day_s),
                    )
                }
                staged = 0
                for key in sorted(set(new) | set(committed)):
                    value, writes = committed.get(key, (0.0, 0))
                    difference = new.get(key, 0.0) - value
                    if abs(difference) < EPSILON:
                        continue
                    name, labels = key
                    self._db.execute(
                        "INSERT INTO vendor_staged VALUES (?,?,?,?,?,?)",
                        (source, day_s, name, labels, day_sample_time(day, writes), difference),
                    )
                    self._db.execute(
                        "INSERT OR REPLACE INTO vendor_committed VALUES (?,?,?,?,?,?)",
                        (source, name, labels, day_s, new.get(key, 0.0), writes + 1),
                    )
                    staged += 1
                self._db.execute("INSERT OR IGNORE INTO vendor_days_held VALUES (?, ?)", (source, day_s))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return Recorded(staged)

    def push(self, prometheus_url: str) -> int:
        """Send every staged sample to Prometheus' remote-write receiver; samples written.

        RemoteWriteError leaves everything staged for the next push."""
        with self._push_lock:
            with self._lock:
                rows = self._db.execute(
                    "SELECT rowid, name, labels, t, amount FROM vendor_staged ORDER BY rowid"
                ).fetchall()
            if not rows:
                return 0
            by_series: dict[tuple[str, str], list[tuple[int, float]]] = {}
            for _, name, labels, t, amount in rows:
                by_series.setdefault((name, labels), []).append((t * 1000, amount))
            series = [
                ({"__name__": name, **dict(json.loads(labels))}, sorted(samples))
                for (name, labels), samples in sorted(by_series.items())
            ]
            written = remote_write.push(prometheus_url, series)
            with self._lock:
                self._db.execute("DELETE FROM vendor_staged WHERE rowid <= ?", (rows[-1][0],))
            return written

    # --- what the status metrics show -----------------------------------------------------------

    def staged_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM vendor_staged").fetchone()[0]

    def days_pending(self) -> dict[str, int]:
        """Per source: days with samples staged, not yet written to Prometheus."""
        with self._lock:
            return dict(self._db.execute("SELECT source, COUNT(DISTINCT day) FROM vendor_staged GROUP BY source"))

    def newest_day(self) -> dict[str, date]:
        """Per source: the newest day held."""
        with self._lock:
            rows = self._db.execute("SELECT source, MAX(day) FROM vendor_days_held GROUP BY source").fetchall()
        return {source: date.fromisoformat(d) for source, d in rows}

    def month_to_date_usd(self, today: date) -> dict[tuple[str, str, str, str], float]:
        """(source, agent, developer_id, team_id) -> committed cost of the UTC month of `today`."""
        month_start = today.replace(day=1).isoformat()
        with self._lock:
            rows = self._db.execute(
                "SELECT source, labels, value FROM vendor_committed WHERE name = ? AND day >= ? AND day <= ?",
                (VENDOR_COST, month_start, today.isoformat()),
            ).fetchall()
        totals: dict[tuple[str, str, str, str], float] = {}
        for source, labels, value in rows:
            lbl = dict(json.loads(labels))
            key = (source, lbl.get("agent", ""), lbl.get("developer_id", ""), lbl.get("team_id", ""))
            totals[key] = totals.get(key, 0.0) + value
        return totals

    def committed(self, source: str) -> dict[tuple[str, tuple, date], float]:
        """(series name, labels, day) -> committed value, e.g. for a report or a test's check."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, labels, day, value FROM vendor_committed WHERE source = ? AND value != 0", (source,)
            ).fetchall()
        return {
            (name, tuple(tuple(p) for p in json.loads(labels)), date.fromisoformat(d)): v for name, labels, d, v in rows
        }

    def close(self) -> None:
        with self._lock:
            self._db.close()
