"""A product process started by a test, for tests that stop it gently or kill it (SIGKILL)."""

from __future__ import annotations

import subprocess


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
