"""The metric totals, durable: accepted points go through the write-ahead log before they are
folded into the accumulator and before the request is answered; snapshots of the totals record
the log position they contain, so a start applies each logged batch exactly once.

    state = MetricState(policy, self_metrics, data_dir, sync=True)
    state.open()                 # snapshot + replay of the log after it
    state.ingest(request, None)  # returns once what the request added is on disk
    staged = state.stage(request, None)   # or in two steps: stage on an event loop, then
    state.finish(staged)                  # commit (with whatever else is staged) and count
    state.checkpoint()           # snapshot now; older log segments are deleted
    state.close()
"""

from __future__ import annotations

import json
import logging
import marshal
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from agent_analytics.vocabulary.series import (
    COLLECTOR_OVERFLOW,
    COLLECTOR_RECEIVED,
    COLLECTOR_REJECTED,
    SNAPSHOTS,
    WAL_BYTES,
    WAL_DROPPED_BYTES,
    WAL_REPLAYED,
    WAL_SYNCS,
)

from .accepted_points import accept, attribute_text, plain_value  # noqa: F401 - the names other modules use
from .accumulator import Accumulator
from .group_commit import Ticket
from .label_policy import LabelPolicy
from .self_metrics import SelfMetrics
from .wal import WriteAheadLog

log = logging.getLogger(__name__)

STATE_VERSION = 2
# marshal's format 4 has been stable since Python 3.4; records are framed and checksummed.
MARSHAL_VERSION = 4
# A snapshot is taken when the log since the last one grows beyond this, so disk use stays bounded.
DEFAULT_WAL_MAX_BYTES = 64 * 1024 * 1024


class Staged(NamedTuple):
    """A request's points in the log, not yet committed: its ticket (None without points) and
    what accept() counted."""

    ticket: Ticket | None
    received: dict[str, int]
    unsupported: int
    refused: int


class MetricState:
    def __init__(
        self,
        policy: LabelPolicy,
        self_metrics: SelfMetrics,
        data_dir: Path,
        sync: bool = True,
        stream_ttl_seconds: float = 86400.0,
        wal_max_bytes: int = DEFAULT_WAL_MAX_BYTES,
    ):
        self.policy = policy
        self.self_metrics = self_metrics
        self.accumulator = Accumulator(policy.limit_for, stream_ttl_seconds)
        self.state_file = data_dir / "metrics-state.json"
        self.wal = WriteAheadLog(data_dir / "wal", sync=sync)
        self.wal.on_sync = self._synced
        self.wal_max_bytes = wal_max_bytes
        # one thread, so snapshots reach the disk in the order they were taken
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aa-snapshot")
        self._checkpoint_wanted = False
        self._opened = False

    # --- start and stop ------------------------------------------------------------------------

    def _load_snapshot(self) -> int:
        """Restore the last snapshot; returns the log position it contains (0 without one)."""
        path = self.state_file
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return 0
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot read the metric state {path} ({e}): move it away to start from zero") from None
        version = data.get("version") if isinstance(data, dict) else None
        if version not in (1, STATE_VERSION):
            raise ValueError(f"{path} is not a metric state this version can read: move it away to start from zero")
        if version == 1:  # streams were [name, resource key, point key, value]
            data["streams"] = [[name, [rk, pk], value] for name, rk, pk, value in data["streams"]]
        self.accumulator.load_data(data)
        return int(data.get("wal_position", 0))

    def open(self) -> None:
        position = self._load_snapshot()
        replayed = 0
        for _, payload in self.wal.replay(position):
            self.accumulator.apply(marshal.loads(payload))
            replayed += 1
        if replayed:
            log.info("replayed %d logged batches after the snapshot", replayed)
        self.self_metrics.add(WAL_REPLAYED, replayed)
        self.self_metrics.add(WAL_DROPPED_BYTES, self.wal.dropped_bytes)
        self.self_metrics.set(WAL_BYTES, self.wal.bytes)
        self.wal.start(lambda _, batch: self.accumulator.apply(batch))
        self._opened = True

    def close(self) -> None:
        """Write what is pending, take a last snapshot, close the log."""
        if not self._opened:
            return
        self.checkpoint()
        self.wal.stop()
        self._writer.shutdown(wait=True)
        self._opened = False

    # --- ingest ----------------------------------------------------------------------------------

    def ingest(self, request: Any, developer_id: str | None = None) -> tuple[int, int]:
        """Fold an ExportMetricsServiceRequest in, durably. Returns (accepted, rejected) points."""
        return self.finish(self.stage(request, developer_id))

    def stage(self, request: Any, developer_id: str | None = None) -> Staged:
        """Accept the request's points and stage them in the log; nothing waits here."""
        batch, received, unsupported, refused = accept(request, self.policy, developer_id)
        ticket = self.wal.append(marshal.dumps(batch, MARSHAL_VERSION), batch) if batch[1] else None
        return Staged(ticket, received, unsupported, refused)

    def finish(self, staged: Staged) -> tuple[int, int]:
        """Wait until the staged points are durable and folded in (leading the commit of all that
        is staged when none is under way); count them. Returns (accepted, rejected) points."""
        conflicting = 0
        if staged.ticket is not None:
            conflicting, overflow = self.wal.wait(staged.ticket)
            for name, n in overflow.items():
                self.self_metrics.add(COLLECTOR_OVERFLOW, n, name)
        accepted = sum(staged.received.values()) - conflicting
        for agent, n in staged.received.items():
            if n:
                self.self_metrics.add(COLLECTOR_RECEIVED, n, "metrics", agent or "unknown")
        unsupported = staged.unsupported + conflicting
        if unsupported:
            self.self_metrics.add(COLLECTOR_REJECTED, unsupported, "unsupported_metric_type")
        if staged.refused:
            self.self_metrics.add(COLLECTOR_REJECTED, staged.refused, "invalid_value")
        return accepted, unsupported + staged.refused

    def _synced(self, _: int) -> None:
        self.self_metrics.add(WAL_SYNCS)
        self.self_metrics.set(WAL_BYTES, self.wal.bytes)
        if self.wal.bytes > self.wal_max_bytes and not self._checkpoint_wanted:
            self._checkpoint_wanted = True
            self._writer.submit(self._snapshot)

    # --- snapshots ---------------------------------------------------------------------------------

    def checkpoint(self) -> None:
        """Snapshot the totals now and wait until it is on disk."""
        self._writer.submit(self._snapshot).result(timeout=120)

    def _copy(self) -> dict:
        self.accumulator.expire_streams(time.time())
        return self.accumulator.to_data()

    def _snapshot(self) -> None:
        """On the snapshot thread (one, so snapshots reach the disk in the order they were
        taken): copy the totals at a log position with nothing half-applied, write them, then
        delete the log segments the snapshot holds."""
        self._checkpoint_wanted = False
        data, position = self.wal.checkpoint(self._copy)
        data["version"] = STATE_VERSION
        data["wal_position"] = position
        path = self.state_file
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w") as f:
                json.dump(data, f, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            log.error("cannot write the metric state to %s: %s (the log keeps everything)", path, e)
            return
        # only now are the older segments in a durable snapshot
        self.wal.remove_before(position)
        self.self_metrics.add(SNAPSHOTS)
        self.self_metrics.set(WAL_BYTES, self.wal.bytes)

    # --- reading -------------------------------------------------------------------------------------

    def copy_families(self):
        return self.accumulator.copy_families()
