"""Waiting for a started server (Prometheus, Grafana, Loki) to answer its readiness URL, for
`up` and for the scratch Prometheus that evaluates the hourly series of history."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

# One client for every poll: each new client loads the CA certificates (tens of milliseconds of
# CPU) and these are plain-HTTP loopback checks made several times a second. No connection is
# kept, so a restarted server is always asked afresh.
_CLIENT = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))


def wait_ready(proc: subprocess.Popen, url: str, timeout: float) -> str | None:
    """None once `url` answers 200; else why not: "exited" (the process ended) or "timeout"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return "exited"
        if answers(url):
            return None
        time.sleep(0.2)
    return "timeout"


def answers(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        return _CLIENT.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def last_line(path: Path) -> str:
    """The last non-blank line of a log (at most 300 characters), or ""."""
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""
