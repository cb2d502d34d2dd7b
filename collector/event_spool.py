"""A bounded on-disk queue of OTLP log batches waiting for Loki.

One file per batch, named `<sequence>-<records>.pb` so the order and the record count survive
a restart. Past `max_bytes` the oldest batches are deleted and their records counted as dropped.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from .group_commit import GroupCommit, Ticket
from .self_metrics import SelfMetrics

_NAME = re.compile(r"\d+-\d+\.pb")


class EventSpool:
    def __init__(self, directory: Path, max_bytes: int, self_metrics: SelfMetrics, sync: bool = True):
        self.directory = directory
        self.sync = sync
        self.max_bytes = max_bytes
        self.self_metrics = self_metrics
        self._lock = threading.Lock()
        self._group = GroupCommit(self._commit)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        # only files this spool wrote (<sequence>-<records>.pb); anything else is left alone
        self._files = sorted(
            (p for p in directory.glob("*.pb") if _NAME.fullmatch(p.name)), key=lambda p: int(p.name.split("-", 1)[0])
        )
        self._bytes = sum(p.stat().st_size for p in self._files)
        self._next = int(self._files[-1].name.split("-", 1)[0]) + 1 if self._files else 0
        self._publish()

    def _publish(self) -> None:
        self.self_metrics.set("agent_analytics_collector_spool_bytes", self._bytes)

    @staticmethod
    def records_of(path: Path) -> int:
        return int(path.stem.split("-", 1)[1])

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)

    def stage(self, batch: bytes, records: int) -> Ticket:
        """Queue a batch for the next file; `wait(ticket)` returns once it is on disk (synced,
        unless sync is off). Batches staged together go into one file with one sync
        (concatenated OTLP messages merge their lists)."""
        return self._group.stage((batch, records))

    def wait(self, ticket: Ticket) -> None:
        self._group.wait(ticket)

    def _commit(self, entries: list[tuple[tuple[bytes, int], Ticket]]) -> None:
        self._store(b"".join(batch for (batch, _), _ in entries), sum(records for (_, records), _ in entries))
        for _, ticket in entries:
            ticket.settle()

    def _store(self, batch: bytes, records: int) -> None:
        with self._lock:
            path = self.directory / f"{self._next:012d}-{records}.pb"
            self._next += 1
        tmp = self.directory / f".{path.name}.tmp"
        with open(tmp, "wb") as f:
            f.write(batch)
            if self.sync:  # the requests are acknowledged once this returns
                f.flush()
                os.fdatasync(f.fileno())
        os.replace(tmp, path)
        if self.sync:
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        with self._lock:
            self._files.append(path)
            self._bytes += len(batch)
            while self._bytes > self.max_bytes and len(self._files) > 1:
                oldest = self._files.pop(0)
                self._bytes -= oldest.stat().st_size
                oldest.unlink(missing_ok=True)
                self.self_metrics.add("agent_analytics_collector_spool_dropped", self.records_of(oldest))
            self._publish()

    def oldest(self, max_bytes: int) -> list[tuple[Path, bytes]]:
        """The oldest batches, as many as fit in `max_bytes` (at least one when any wait)."""
        out, size = [], 0
        with self._lock:
            for path in self._files:
                length = path.stat().st_size
                if out and size + length > max_bytes:
                    break
                out.append(path)
                size += length
        return [(path, path.read_bytes()) for path in out]

    def remove(self, path: Path) -> None:
        with self._lock:
            if path in self._files:
                self._files.remove(path)
                self._bytes -= path.stat().st_size
                path.unlink(missing_ok=True)
                self._publish()
