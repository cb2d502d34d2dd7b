"""Free loopback ports and waiting for a server to answer."""

import socket
import time
from collections.abc import Callable

from tests.support import loopback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(
    check: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as e:  # the server is not up yet
            last = e
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached in {timeout}s (last error: {last})")


def wait_http_ok(url: str, timeout: float = 30.0) -> None:
    wait_until(lambda: loopback.get(url, timeout=2).status_code == 200, timeout=timeout, what=f"GET {url} == 200")
