"""One owner per stack data dir: `up` holds a lock on it while it runs, and a second `up` or a
standalone exporter on the same folder is refused (two would share one TSDB and commit store and
overwrite each other's saved totals)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from agent_analytics.config.errors import RuntimeFailure


def lock_file(stack_dir: Path) -> Path:
    return stack_dir / "run" / "up.lock"


def _owner(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 32).decode(errors="replace").strip() or "unknown"


def take(stack_dir: Path) -> int:
    """Lock `stack_dir` for this process; returns the descriptor to close on stop."""
    try:
        lock_file(stack_dir).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file(stack_dir), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise RuntimeFailure(f"cannot use {stack_dir} ({e.strerror}): pass another --data-dir") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        owner = _owner(fd)
        os.close(fd)
        raise RuntimeFailure(
            f"{stack_dir} is in use by another `agent-analytics up` (pid {owner}):"
            " stop it first, or pass another --data-dir"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def running_owner(stack_dir: Path) -> str | None:
    """The pid of the `up` running on `stack_dir`, or None when none does."""
    try:
        fd = os.open(lock_file(stack_dir), os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _owner(fd)
    finally:
        os.close(fd)  # also drops the shared lock taken to look
    return None


def refuse_if_up_owns(exporter_data_dir: Path) -> None:
    """A standalone exporter must not open the commit store of a running `up` (`up` keeps it in DIR/exporter)."""
    stack_dir = Path(exporter_data_dir).expanduser().absolute().parent
    owner = running_owner(stack_dir)
    if owner is not None:
        raise RuntimeFailure(
            f"{exporter_data_dir} belongs to the `agent-analytics up` running on {stack_dir} (pid {owner}):"
            " use the exporter that `up` runs, or pass another --data-dir"
        )
