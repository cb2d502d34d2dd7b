"""A write-ahead log with group commit.

Records are appended to segment files `<first sequence number>.wal` in data_dir/wal. A record
is framed as length (u32), CRC-32 of sequence number and payload (u32), sequence number (u64),
payload. A request stages its record and waits; the first waiter finding no commit under way
writes every record staged so far with one write() and one fdatasync(), hands each to `apply`
in sequence order and settles them, all on its own thread (group_commit): concurrent requests
share one sync, and nothing is applied (so nothing is shown on /metrics) before it is on disk.

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
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .group_commit import GroupCommit, Ticket

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


def intact_records(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(end offset, sequence number, payload) of each record of a segment's bytes, up to the
    first that is cut short or fails its checksum."""
    offset = 0
    while offset + HEADER.size <= len(data):
        length, checksum, seq = HEADER.unpack_from(data, offset)
        end = offset + HEADER.size + length
        if end > len(data):
            return
        payload = data[offset + HEADER.size : end]
        if _checksum(seq, payload) != checksum:
            return
        offset = end
        yield end, seq, payload


class WriteAheadLog:
    def __init__(self, directory: Path, sync: bool = True, what: str = "metric write-ahead log"):
        self.directory = directory
        self.sync = sync
        self.what = what  # for messages
        directory.mkdir(parents=True, exist_ok=True)
        self.next_seq = 1
        self.dropped_bytes = 0
        self.bytes = 0  # in segments since the last checkpoint
        self._fd: int | None = None
        self._segment: Path | None = None
        self._group = GroupCommit(self._commit)
        self._apply: Callable[[int, Any], Any] = lambda seq, item: None
        self.on_sync: Callable[[int], None] = lambda n: None

    # --- reading at start ---------------------------------------------------------------------

    def segments(self) -> list[Path]:
        """The segment files, oldest first."""
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            if path.stem.isdigit():
                found.append(path)
        return sorted(found, key=lambda p: int(p.stem))

    def replay(self, after: int) -> Iterator[tuple[int, bytes]]:
        """(sequence number, payload) of every intact record with a number above `after`, in order;
        what follows the last intact record of a segment is cut off (and counted)."""
        last = after
        for path in self.segments():
            data = path.read_bytes()
            self.bytes += len(data)
            offset = 0
            for end, seq, payload in intact_records(data):
                offset = end
                if seq > last:
                    last = seq
                    yield seq, payload
            if offset < len(data):
                dropped = len(data) - offset
                self.dropped_bytes += dropped
                self.bytes -= dropped
                log.warning(
                    "%s %s: %d bytes after the last intact record dropped (a write cut short)",
                    self.what,
                    path,
                    dropped,
                )
                with open(path, "r+b") as f:
                    f.truncate(offset)
                    f.flush()
                    os.fsync(f.fileno())
        self.next_seq = max(self.next_seq, last + 1)

    def read(
        self, after: int, through: int, max_bytes: int, resume: tuple[Path, int, int] | None = None
    ) -> tuple[list[tuple[int, bytes]], tuple[Path, int, int] | None]:
        """(sequence number, payload) of the committed records numbered above `after` and up to
        `through`, in order, as many as fit in `max_bytes` (at least one); and the point after
        the last of them: (segment, offset, its number). Given the point where a read that
        ended at `after` stopped, the next read starts there instead of at the segment's head."""
        out: list[tuple[int, bytes]] = []
        size = 0
        point = None
        segments = self.segments()
        if resume is not None and (resume[2] != after or resume[0] not in segments):
            resume = None
        for i, path in enumerate(segments):
            if resume is not None and path != resume[0]:
                continue  # before the resume point
            if resume is None and i + 1 < len(segments) and int(segments[i + 1].stem) <= after + 1:
                continue  # every record of this segment is at or below `after`
            start = resume[1] if resume is not None else 0
            resume = None
            with open(path, "rb") as f:
                f.seek(start)
                data = f.read()
            for end, seq, payload in intact_records(data):
                if seq > through or (out and size + len(payload) > max_bytes):
                    return out, point
                if seq > after:
                    out.append((seq, payload))
                    size += len(payload)
                    point = (path, start + end, seq)
        return out, point

    # --- writing --------------------------------------------------------------------------------

    def _open_segment(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._segment = self.directory / f"{self.next_seq:020d}{SUFFIX}"
        self._fd = os.open(self._segment, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        _sync_dir(self.directory)

    def start(self, apply: Callable[[int, Any], Any]) -> None:
        """Begin taking records; `apply(seq, item)` runs, in sequence order, once a record is durable."""
        self._apply = apply
        self._open_segment()

    def append(self, payload: bytes, item: Any) -> Ticket:
        """Stage a record; `wait(ticket)` makes it durable and returns what `apply(seq, item)` gave."""
        if self._fd is None:
            raise RuntimeError("the collector is stopping")
        return self._group.stage((payload, item))

    def wait(self, ticket: Ticket) -> Any:
        return self._group.wait(ticket)

    def _commit(self, entries: list[tuple[tuple[bytes, Any], Ticket]]) -> None:
        """On the thread leading the commit: write and sync the staged records, then apply them."""
        if self._fd is None:
            raise RuntimeError("the collector is stopping")
        first = self.next_seq
        data = b"".join(frame(first + i, payload) for i, ((payload, _), _) in enumerate(entries))
        self.next_seq += len(entries)
        try:
            written = os.write(self._fd, data)
            if written != len(data):
                raise OSError(f"short write ({written} of {len(data)} bytes)")
            if self.sync:
                os.fdatasync(self._fd)
        except OSError as e:
            log.error("cannot write the %s %s: %s", self.what, self._segment, e)
            error = OSError(f"cannot write the {self.what}: {e.strerror or e}")
            for _, ticket in entries:
                ticket.settle(error=error)
            # what reached the file may be partial or lost: later records go to a clean segment
            with contextlib.suppress(OSError):
                self._open_segment()
            return
        self.bytes += len(data)
        self.on_sync(len(data))
        for i, ((_, item), ticket) in enumerate(entries):
            try:
                ticket.settle(self._apply(first + i, item))
            except Exception as e:  # a bug costs this request, never the log
                log.exception("applying a logged batch failed")
                ticket.settle(error=e)

    def checkpoint(self, copy: Callable[[], Any]) -> tuple[Any, int]:
        """Commit what is staged, then, with nothing applied half-way, `copy()` the state and
        start a new segment; returns the copy and the last sequence number it contains."""

        def rotate() -> tuple[Any, int]:
            taken = copy()
            self._open_segment()
            self.bytes = 0
            return taken, self.next_seq - 1

        return self._group.exclusive(rotate)

    def remove_before(self, seq: int) -> None:
        """Delete the segments that hold only records up to `seq` (no longer needed): those
        followed by a segment that begins at or below seq + 1."""
        segments = self.segments()
        for path, following in zip(segments, segments[1:], strict=False):
            if int(following.stem) <= seq + 1 and path != self._segment:
                path.unlink(missing_ok=True)

    def stop(self) -> None:
        """Commit what is staged and close the segment."""

        def close() -> None:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

        self._group.exclusive(close)
