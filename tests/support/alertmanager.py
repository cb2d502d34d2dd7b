"""The real Alertmanager (the OS binary of Debian's prometheus-alertmanager) started for a test,
amtool against it, and webhook receivers: real HTTP servers on loopback that record what
Alertmanager posts to them."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from agent_analytics.stack.supervisor import find_alertmanager
from tests.support import loopback

from .http_standin import HttpStandIn, Reply, Request
from .net import free_port, wait_http_ok
from .processes import terminate

INSTALL = "sudo apt-get install prometheus-alertmanager"


def amtool(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    binary = shutil.which("amtool")
    assert binary, f"amtool not found: {INSTALL}"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)


class Alertmanager:
    """Runs Alertmanager on a free port with the configuration at `config` (alone: no cluster)."""

    def __init__(self, config: Path):
        binary, why = find_alertmanager()
        if binary is None:
            raise RuntimeError(f"{why}: {INSTALL}")
        self.binary = binary
        self.config = config
        self.workdir = Path(tempfile.mkdtemp(prefix="aa-am-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / "alertmanager.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Alertmanager:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={self.config}",
                    f"--storage.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    f"--web.external-url={self.url}",
                    "--cluster.listen-address=",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_http_ok(f"{self.url}/-/ready", timeout=30)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"alertmanager did not start:\n{self.log()[-3000:]}") from None
        return self

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None

    def __enter__(self) -> Alertmanager:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alerts(self, **labels: str) -> list[dict]:
        """The alerts Alertmanager holds (API v2) with these labels, silenced and inhibited ones included."""
        filters = [f'{k}="{v}"' for k, v in labels.items()]
        r = loopback.get(f"{self.url}/api/v2/alerts", params={"filter": filters}, timeout=10)
        r.raise_for_status()
        return r.json()

    def amtool(self, *args: str) -> subprocess.CompletedProcess:
        return amtool(*args, f"--alertmanager.url={self.url}")


class Webhook(HttpStandIn):
    """A receiver of Alertmanager's webhook: answers 200 and keeps each notification's JSON."""

    def respond(self, request: Request) -> Reply:
        return Reply(200, {"status": "ok"})

    def notifications(self) -> list[dict]:
        with self.lock:
            return [r.json() for r in self.requests if r.method == "POST"]
