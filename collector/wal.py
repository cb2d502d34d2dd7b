"""A write-ahead log with group commit.

Records are appended to segment files `<first sequence number>.wal` in data_dir/wal. A record
is framed as length (u32), CRC-32 of sequence number and payload (u32), sequence number (u64),
payload. One writer thread takes every record submitted while it was busy, writes them with
one write() and one fdatasync(), and only then hands each to `apply` in sequence order and
wakes its submitter: concurrent requests share one sync, and nothing is applied (so nothing is
shown on /metrics) before it is on disk.

At start `replay()` yields the records after a snapshot's position; a frame that is cut short
or fails its checksum ends its segment: the file is cut back to the last good record and the
bytes dropped are counted. That is what a crash in the middle of a write leaves behind, and
such a record was never acknowledged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

HEADER = struct.Struct("<IIQ")
SUFFIX = ".wal"


def _checksum(seq: int, payload: bytes) -> int:
    return zlib.crc32(payload, zlib.crc32(seq.to_bytes(8, "little")))


def frame(seq: int, payload: bytes) -> bytes:
    return HEADER.pack(len(payload), _checksum(seq, payload), seq) + payload


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Ticket:
    """What a submitter waits on: the result of `apply`, or the error that kept it off disk."""

    __slots__ = ("_done", "result", "error")

    def __init__(self) -> None:
        self._done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def settle(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self._done.set()

    def wait(self, timeout: float | None = None) -> Any:
        if not self._done.wait(timeout):
            raise TimeoutError("the write-ahead log did not answer in time")
        if self.error is not None:
            raise self.error
        return self.result


class WriteAheadLog:
    def __init__(self, directory: Path, sync: bool = True):
        self.directory = directory
        self.sync = sync
        directory.mkdir(parents=True, exist_ok=True)
        self.next_seq = 1
        self.dropped_bytes = 0
        self.bytes = 0  # in segments since the last checkpoint
        self._fd: int | None = None
        self._segment: Path | None = None
        self._cond = threading.Condition()
        self._pending: list[tuple[bytes, Any, Ticket]] = []
        self._between: list[Callable[[], None]] = []
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._apply: Callable[[Any], Any] | None = None
        self.on_sync: Callable[[int], None] = lambda n: None

    # --- reading at start ---------------------------------------------------------------------

    def segments(self) -> list[Path]:
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            if path.stem.isdigit():
                found.append(path)
        return sorted(found, key=lambda p: int(p.stem))

    def replay(self, after: int) -> Iterator[tuple[int, bytes]]:
        """(sequence number, payload) of every intact record with a number above `after`, in order."""
        last = after
        for path in self.segments():
            data = path.read_bytes()
            self.bytes += len(data)
            offset = 0
            while offset < len(data):
                if offset + HEADER.size > len(data):
                    break
                length, checksum, seq = HEADER.unpack_from(data, offset)
                end = offset + HEADER.size + length
                if end > len(data):
                    break
                payload = data[offset + HEADER.size : end]
                if _checksum(seq, payload) != checksum:
                    break
                offset = end
                if seq > last:
                    last = seq
                    yield seq, payload
            if offset < len(data):
                dropped = len(data) - offset
                self.dropped_bytes += dropped
                self.bytes -= dropped
                log.warning(
                    "write-ahead log %s: %d bytes after the last intact record dropped (a write cut short)",
                    path,
                    dropped,
                )
                with open(path, "r+b") as f:
                    f.truncate(offset)
                    f.flush()
                    os.fsync(f.fileno())
        self.next_seq = max(self.next_seq, last + 1)

    # --- writing --------------------------------------------------------------------------------

    def _open_segment(self) -> None:
        if self._fd is not None:
            if self.sync:
                os.fdatasync(self._fd)
            os.close(self._fd)
        self._segment = self.directory / f"{self.next_seq:020d}{SUFFIX}"
        self._fd = os.open(self._segment, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        _sync_dir(self.directory)

    def start(self, apply: Callable[[Any], Any]) -> None:
        """Begin taking records; `apply(item)` runs on the writer thread once a record is durable."""
        self._apply = apply
        self._open_segment()
        self._thread = threading.Thread(target=self._run, name="aa-wal", daemon=True)
        self._thread.start()

    def submit(self, payload: bytes, item: Any) -> Ticket:
        ticket = Ticket()
        with self._cond:
            if self._stopping:
                raise RuntimeError("the collector is stopping")
            self._pending.append((payload, item, ticket))
            self._cond.notify()
        return ticket

    def between_batches(self, task: Callable[[], None]) -> None:
        """Run `task` on the writer thread after the batch being written (none half-applied)."""
        with self._cond:
            self._between.append(task)
            self._cond.notify()

    def rotate(self) -> int:
        """Start a new segment (writer thread only); returns the last sequence number before it."""
        self._open_segment()
        self.bytes = 0
        return self.next_seq - 1

    def remove_before(self, seq: int) -> None:
        """Delete the segments that hold only records up to `seq` (already in a snapshot)."""
        for path in self.segments():
            if int(path.stem) <= seq and path != self._segment:
                path.unlink(missing_ok=True)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._between and not self._stopping:
                    self._cond.wait()
                batch, self._pending = self._pending, []
                tasks, self._between = self._between, []
                if self._stopping and not batch and not tasks:
                    return
            if batch:
                self._write(batch)
            for task in tasks:
                try:
                    task()
                except Exception:
                    log.exception("write-ahead log task failed")

    def _write(self, batch: list[tuple[bytes, Any, Ticket]]) -> None:
        first = self.next_seq
        data = b"".join(frame(first + i, payload) for i, (payload, _, _) in enumerate(batch))
        try:
            written = os.write(self._fd, data)
            if written != len(data):
                raise OSError(f"short write ({written} of {len(data)} bytes)")
            if self.sync:
                os.fdatasync(self._fd)
        except OSError as e:
            log.error("cannot write the metric write-ahead log %s: %s", self._segment, e)
            error = OSError(f"cannot write the metric log: {e.strerror or e}")
            for _, _, ticket in batch:
                ticket.settle(error=error)
            # what reached the file may be partial: later records go to a clean segment
            self.next_seq += len(batch)
            with contextlib.suppress(OSError):
                self._open_segment()
            return
        self.next_seq += len(batch)
        self.bytes += len(data)
        self.on_sync(len(data))
        for _, item, ticket in batch:
            try:
                ticket.settle(self._apply(item))
            except Exception as e:  # a bug costs this request, never the log
                log.exception("applying a logged batch failed")
                ticket.settle(error=e)

    def stop(self) -> None:
        """Write what was submitted, run pending tasks, close the segment."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._fd is not None:
            if self.sync:
                os.fdatasync(self._fd)
            os.close(self._fd)
            self._fd = None
