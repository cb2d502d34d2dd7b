"""A bounded on-disk queue of OTLP log batches waiting for Loki.

The batches are the records of a log of their own (wal.WriteAheadLog in data_dir/spool: segment
files of framed, checksummed records, written in group commits, one write and one sync for the
batches of all concurrent requests). A record's payload is its count of log records (u32) and
the batch. The file `sent` holds the number of the last record Loki took (or that was dropped):
what follows it is sent after a restart. Past `max_bytes` of batches waiting, the oldest are
dropped and their records counted.
"""

from __future__ import annotations

import os
import re
import struct
import threading
from collections import deque
from pathlib import Path

from agent_analytics.vocabulary.series import SPOOL_BYTES, SPOOL_DROPPED, SPOOL_RECORDS

from .group_commit import Ticket
from .self_metrics import SelfMetrics
from .wal import WriteAheadLog

POSITION_FILE = "sent"
COUNT = struct.Struct("<I")
# A segment is deleted once every batch in it is sent: the open one is closed past this size.
SEGMENT_BYTES = 4 * 1024 * 1024
# The spool of earlier versions: one file per batch, `<sequence>-<records>.pb`.
_BATCH_FILE = re.compile(r"\d+-\d+\.pb")


class EventSpool:
    def __init__(self, directory: Path, max_bytes: int, self_metrics: SelfMetrics, sync: bool = True):
        self.directory = directory
        self.max_bytes = max_bytes
        self.self_metrics = self_metrics
        self.segment_bytes = max(64 * 1024, min(SEGMENT_BYTES, max_bytes // 4))
        self._log = WriteAheadLog(directory, sync=sync, what="event spool")
        self._lock = threading.Lock()
        self._waiting: deque[tuple[int, int, int]] = deque()  # (sequence number, records, batch bytes)
        self._bytes = 0
        self._records = 0
        self._position_fd: int | None = None
        self._sent = self._read_position()
        self._resume: tuple[Path, int, int] | None = None  # where the last read stopped
        for seq, payload in self._log.replay(self._sent):
            self._arrived(seq, (COUNT.unpack_from(payload)[0], len(payload) - COUNT.size))
        self._log.start(self._arrived)
        self._adopt_batch_files()
        self._publish()

    # --- the position ---------------------------------------------------------------------------

    def _read_position(self) -> int:
        try:
            return int((self.directory / POSITION_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def _write_position(self, seq: int) -> None:
        # With the lock held. Written in place, not synced: after a crash a batch Loki took may
        # be sent again, never one lost. (Not a new file renamed over the old: ext4 flushes
        # such a file to disk at each rename, that is at every push.)
        if self._position_fd is None:
            self._position_fd = os.open(self.directory / POSITION_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
        os.pwrite(self._position_fd, f"{seq:020d}".encode(), 0)

    def _adopt_batch_files(self) -> None:
        """Batches left by an earlier version's spool go into the log, oldest first."""
        for stale in self.directory.glob(".*.pb.tmp"):
            stale.unlink(missing_ok=True)
        found = [p for p in self.directory.glob("*.pb") if _BATCH_FILE.fullmatch(p.name)]
        for path in sorted(found, key=lambda p: int(p.name.split("-", 1)[0])):
            self.wait(self.stage(path.read_bytes(), int(path.stem.split("-", 1)[1])))
            path.unlink()

    # --- taking batches -------------------------------------------------------------------------

    def stage(self, batch: bytes, records: int) -> Ticket:
        """Queue a batch for the next commit; `wait(ticket)` returns once it is on disk (synced,
        unless sync is off)."""
        return self._log.append(COUNT.pack(records) + batch, (records, len(batch)))

    def wait(self, ticket: Ticket) -> None:
        self._log.wait(ticket)

    def _arrived(self, seq: int, item: tuple[int, int]) -> None:
        """A batch is on disk (in the order of the log); beyond max_bytes the oldest go."""
        records, size = item
        dropped = 0
        with self._lock:
            self._waiting.append((seq, records, size))
            self._bytes += size
            self._records += records
            while self._bytes > self.max_bytes and len(self._waiting) > 1:
                seq, n, size = self._waiting.popleft()
                self._bytes -= size
                self._records -= n
                self._sent = seq
                dropped += n
            if dropped:
                self._write_position(self._sent)
            self._publish()
        if dropped:
            self.self_metrics.add(SPOOL_DROPPED, dropped)

    def _publish(self) -> None:
        self.self_metrics.set(SPOOL_BYTES, self._bytes)
        self.self_metrics.set(SPOOL_RECORDS, self._records)

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)

    # --- sending --------------------------------------------------------------------------------

    def oldest(self, max_bytes: int) -> tuple[int, bytes, int] | None:
        """(number of the last batch, the oldest batches joined, their log records): as many
        batches as fit in `max_bytes`, at least one; None when none waits. Concatenated OTLP
        messages merge their lists."""
        self._tidy()
        with self._lock:
            if not self._waiting:
                return None
            after, through = self._sent, self._waiting[-1][0]
        taken, self._resume = self._log.read(after, through, max_bytes, self._resume)
        if not taken:
            return None
        body = b"".join(payload[COUNT.size :] for _, payload in taken)
        return taken[-1][0], body, sum(COUNT.unpack_from(payload)[0] for _, payload in taken)

    def sent(self, through: int) -> int:
        """The batches up to `through` are gone (Loki took them, or refused them for good);
        returns how many log records of them were still waiting (not dropped meanwhile)."""
        records = 0
        with self._lock:
            while self._waiting and self._waiting[0][0] <= through:
                _, n, size = self._waiting.popleft()
                self._bytes -= size
                self._records -= n
                records += n
            self._sent = max(self._sent, through)
            self._write_position(self._sent)
            self._publish()
        return records

    def _tidy(self) -> None:
        """Close the open segment once it is large, delete the segments sent or dropped."""
        if self._log.bytes > self.segment_bytes:
            self._log.checkpoint(lambda: None)
        with self._lock:
            position = self._sent
        self._log.remove_before(position)

    def close(self) -> None:
        self._log.stop()
        if self._position_fd is not None:
            os.close(self._position_fd)
            self._position_fd = None
