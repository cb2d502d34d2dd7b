"""Client-side pacing for an API with a per-minute request quota (Cursor: 20 a minute per team).

Waiting before a request is cheaper than being answered 429 and waiting out `retry-after`.
"""

import threading
import time
from collections import deque
from collections.abc import Callable


class Pacer:
    """Spaces calls of `wait()` so that no `window_seconds` holds more than `limit` of them."""

    def __init__(
        self,
        limit: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if limit < 1:
            raise ValueError("a pacer needs a limit of at least one request")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()  # times of the last `limit` requests
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until one more request fits in the window, and count it."""
        with self._lock:
            if len(self._sent) >= self.limit:
                pause = self._sent[0] + self.window_seconds - self._clock()
                if pause > 0:
                    self._sleep(pause)
                self._sent.popleft()
            self._sent.append(self._clock())
