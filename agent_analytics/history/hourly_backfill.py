"""History written with its hourly pre-aggregates (agent_analytics.vocabulary.hourly), so that the panels,
which sum those, show history as they show live data.

The history's blocks are built in a scratch TSDB first; a Prometheus of its own, started on
that TSDB alone, evaluates each hourly rule at every whole hour of the history (a subquery
aligned to hours, as the live rules are), and the results become blocks too. Both sets are
then moved into the target TSDB. The pre-aggregates see the history only, never the target's
live data, so no hour is counted twice where the live rules have run.

promtool's `tsdb create-blocks-from rules` evaluates at each rule group's own phase within
the interval, not at whole hours, which would shift every hour of history against the hours
the live rules and the dashboards' windows use.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent_analytics.vocabulary import hourly
from agent_analytics.wire.child_ready import last_line, wait_ready
from agent_analytics.wire.prom_query import Prometheus

from .openmetrics import Series
from .tsdb_blocks import INSTALL_HINT, BlockError, check_tsdb_dir, newest_allowed, write_blocks

HOUR = 3600
CHUNK_HOURS = 24 * 7  # hours evaluated per query: bounds the samples one query holds
# An hour of history is stamped a millisecond before it ends: a window that begins on the hour
# (`report --at` a whole hour) leaves it out, as growth() leaves out a raw sample there, where
# Prometheus 2 includes a sample at a range's very start.
STAMP_BEFORE_END = 0.001
# the scratch Prometheus keeps whatever it is given and never merges blocks
SCRATCH_FLAGS = (
    "--storage.tsdb.retention.time=100y",
    "--storage.tsdb.min-block-duration=2h",
    "--storage.tsdb.max-block-duration=2h",
    "--query.max-samples=500000000",
    "--query.timeout=10m",
)


@dataclass
class Written:
    samples: int  # history samples
    blocks: list[str]
    hourly_samples: int  # pre-aggregated samples added
    hourly_seconds: float  # time the pre-aggregation took


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScratchPrometheus:
    """`prometheus` on a scratch TSDB, on a free local port, for queries only."""

    def __init__(self, tsdb: Path):
        binary = shutil.which("prometheus")
        if binary is None:
            raise BlockError(
                f"prometheus not found on PATH (it evaluates the hourly series of history): {INSTALL_HINT}"
            )
        config = tsdb.parent / "prometheus.yml"
        config.write_text("global: {}\n")
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.log = tsdb.parent / "prometheus.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tsdb}",
                    f"--web.listen-address={self.url.removeprefix('http://')}",
                    *SCRATCH_FLAGS,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        if wait_ready(self.proc, f"{self.url}/-/ready", timeout) is not None:
            why = last_line(self.log) or "no output"
            raise BlockError(f"a scratch Prometheus for the hourly series did not start: {why}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def hourly_series(prom: Prometheus, first_hour: int, last_hour: int, tick: Callable[[], None]) -> list[Series]:
    """Every hourly rule evaluated at each whole hour in [first_hour, last_hour] (see STAMP_BEFORE_END),
    and the rollups of each (sums of its series)."""
    out: list[Series] = []
    for view, expr in hourly.backfill_rules():
        record = view.hourly
        by_labels: dict[tuple, Series] = {}
        for end in range(last_hour, first_hour - 1, -CHUNK_HOURS * HOUR):
            hours = min(CHUNK_HOURS, (end - first_hour) // HOUR + 1)
            # a subquery's steps fall on whole hours; the range leaves out the previous chunk's end
            for labels, points in prom.samples(f"({expr})[{hours * HOUR - 1}s:1h]", at=end):
                key = tuple(sorted(labels.items()))
                series = by_labels.setdefault(key, Series(record, dict(key), kind="gauge"))
                series.samples[:0] = [(round(t - STAMP_BEFORE_END, 3), v) for t, v in points]
        out.extend(by_labels.values())
        for coarser in hourly.rollups_of(view.metric):
            out.extend(rollup(coarser, by_labels.values()))
        tick()
    return out


def rollup(view: hourly.View, series) -> list[Series]:
    """The series of `view` (a rollup): the hourly series summed by its labels, hour by hour. An
    hour's sum is 0 only where all its parts are, at midnight, as the live rule writes it."""
    sums: dict[tuple, dict[float, float]] = {}
    for s in series:
        key = tuple((k, s.labels[k]) for k in view.labels if k in s.labels)
        hours = sums.setdefault(key, {})
        for t, v in s.samples:
            hours[t] = hours.get(t, 0.0) + v
    return [Series(view.hourly, dict(key), kind="gauge", samples=sorted(h.items())) for key, h in sums.items()]


def write_history(
    series: list[Series], tsdb: Path, continues: int | None = None, tick: Callable[[], None] = lambda: None
) -> Written:
    """Write `series` as blocks into `tsdb` together with their hourly pre-aggregates.

    continues: the end of earlier history in `tsdb` that these series continue (their first
    samples repeat its last): the hours up to it are already written."""
    check_tsdb_dir(tsdb)
    if not series:
        return Written(0, [], 0, 0.0)
    if not any(hourly.bucketed(s.name, s.labels) for s in series):  # vendor days, git blocks: nothing to add
        samples, blocks = write_blocks(series, tsdb)
        return Written(samples, blocks, 0, 0.0)
    times = [t for s in series for t, _ in s.samples]
    first_hour = -(-min(times) // HOUR) * HOUR
    if continues is not None:
        first_hour = max(first_hour, continues // HOUR * HOUR + HOUR)
    # the hour holding the last sample, unless it ends in the hours a block may not reach (the
    # history commands end on a whole hour there)
    last_hour = -(-max(times) // HOUR) * HOUR
    if last_hour > newest_allowed():
        last_hour -= HOUR
    with tempfile.TemporaryDirectory(prefix=".hourly-", dir=tsdb) as scratch:
        scratch_tsdb = Path(scratch) / "tsdb"
        samples, blocks = write_blocks(series, scratch_tsdb)
        started = time.perf_counter()
        prometheus = ScratchPrometheus(scratch_tsdb)
        try:
            prometheus.wait_ready()
            client = Prometheus(prometheus.url, timeout=600)
            try:
                hours = hourly_series(client, first_hour, last_hour, tick) if last_hour >= first_hour else []
            finally:
                client.close()
        finally:
            prometheus.stop()
        seconds = time.perf_counter() - started
        hourly_samples, hourly_blocks = write_blocks(hours, tsdb)
        for block in blocks:
            (scratch_tsdb / block).rename(tsdb / block)
    return Written(samples, blocks + hourly_blocks, hourly_samples, seconds)
