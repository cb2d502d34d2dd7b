"""A product process started by a test, for tests that stop it gently or kill it (SIGKILL)."""

from __future__ import annotations

import random
import subprocess
import threading
import time


class ServiceProcess:
    """Subclasses set `self.proc` in their own start()."""

    proc: subprocess.Popen | None = None

    def ensure_stopped(self) -> None:
        """After a failed assertion too: no process left behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        """SIGTERM: the process must exit cleanly."""
        self.proc.terminate()
        assert self.proc.wait(timeout=30) == 0, self.proc.stderr.read()
        self._close()

    def kill_under_load(
        self,
        senders: list[threading.Thread],
        stop: threading.Event,
        kills: int,
        rng: random.Random,
        pause: tuple[float, float],
        settle: float,
    ) -> None:
        """Start `senders`, then SIGKILL and restart the process `kills` times, `pause` seconds
        apart (uniform, from `rng`); `settle` seconds after the last start, stop the senders."""
        for t in senders:
            t.start()
        try:
            for _ in range(kills):
                time.sleep(rng.uniform(*pause))
                self.kill()
                self.start()
            time.sleep(settle)
        finally:
            stop.set()
            for t in senders:
                t.join(timeout=30)

    def _close(self) -> None:
        self.proc.stdout.close()
        self.proc.stderr.close()


def terminate(proc: subprocess.Popen | None, grace: float = 20) -> None:
    """Stop a helper server (Prometheus, otelcol): SIGTERM, then SIGKILL after `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
