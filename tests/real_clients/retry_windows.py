"""How long each agent CLI keeps trying to deliver an OTLP export while the collector is away, beside
how long the collector of `agent-analytics up` is away when something restarts.

    python -m tests.real_clients.retry_windows [--session 30] [--clients claude-code,gemini-cli,codex] [--json]

Each real CLI (`make real-clients-install`), configured as `init` configures a workstation, runs one
prompt offline against the model stand-in, which answers after --session seconds: a session that
long. Its OTLP endpoint is, in turn:

* `503`: a collector answering every export 503 Service Unavailable;
* `dropped`: one that reads each export and drops the connection unanswered (killed mid-request);
* `refused`: nothing listening (connection refused); the client's connection attempts are counted
  with strace, since no request arrives to be known by.

An export is known by its body: its attempts, and the time from its first attempt to its last (its
retry window). Exports begun before the model answered are "in a session"; the ones after, "at exit"
(the client flushes before it quits). With `refused`, the connection attempts are set against the
exports the `dropped` run counted in the same phase.

Then `up` itself (real Prometheus, a real OTLP/HTTP client posting every 50 ms): the longest time the
collector did not acknowledge while Prometheus was killed and restarted by `up`, and how long a fresh
`up` takes to accept OTLP (what a service manager's restart of `up` adds to its restart delay).
Prints markdown tables.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from agent_analytics.workstation.config import Workstation
from tests.real_clients import clients
from tests.support import loopback
from tests.support.http_standin import HttpStandIn, Reply, read_body
from tests.support.model_standins import ModelStandIn
from tests.support.net import free_port

CLIENTS = {  # name -> (npm package, how it runs offline)
    "claude-code": ("@anthropic-ai/claude-code", clients.claude),
    "gemini-cli": ("@google/gemini-cli", clients.gemini),
    "codex": ("@openai/codex", clients.codex_cli),
}
MODES = ("503", "dropped", "refused")
BASELINE_SECONDS = 3.0


@dataclass
class Export:
    signal: str  # the OTLP path: /v1/metrics, /v1/logs, /v1/traces
    attempts: list[float]  # arrival times, seconds since the client started

    @property
    def window(self) -> float:
        return self.attempts[-1] - self.attempts[0]


@dataclass
class Run:
    client: str
    mode: str
    answered_at: float | None  # when the model answered (seconds since the start), the session's end
    exited_at: float
    exports: list[Export] = field(default_factory=list)  # 503, dropped
    connects: list[float] = field(default_factory=list)  # refused: connection attempts to the collector's port

    def phase(self, at: float) -> str:
        return "session" if self.answered_at is None or at < self.answered_at else "exit"


# --- the collectors that are away -------------------------------------------------------------------


class Unavailable(HttpStandIn):
    def respond(self, request):
        return Reply(503, {"code": 14, "message": "collector unavailable"})


class Dropping:
    """Reads each request whole, then resets the connection without an answer."""

    def __init__(self, port: int):
        self.requests: list[tuple[float, str, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                outer.requests.append((time.monotonic(), self.path.split("?")[0], read_body(self)))
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()  # linger 0: a reset, no answer
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def exports_of(requests: list[tuple[float, str, bytes]], start: float) -> list[Export]:
    by_body: dict[tuple[str, str], list[float]] = defaultdict(list)
    for at, path, body in requests:
        by_body[(path, hashlib.sha256(body).hexdigest())].append(at - start)
    return sorted((Export(path, sorted(times)) for (path, _), times in by_body.items()), key=lambda e: e.attempts[0])


# --- one client run -------------------------------------------------------------------------------


def run_client(name: str, mode: str, session: float, root: Path) -> Run:
    port = free_port()
    home, repo = clients.make_workstation(root / f"{name}-{mode}")
    ws = Workstation(endpoint=f"http://127.0.0.1:{port}", developer_id="dev@example.com", team_id="payments")
    trace = root / f"{name}-{mode}.strace"
    away = Unavailable(port).start() if mode == "503" else Dropping(port) if mode == "dropped" else None
    try:
        with ModelStandIn(answer_delay=session) as model:
            spec = CLIENTS[name][1](ws, home, repo, model.url)
            command = spec.command
            if mode == "refused":
                command = ["strace", "-f", "-qq", "-ttt", "-e", "trace=connect", "-o", str(trace), *command]
            start, wall = time.monotonic(), time.time()
            subprocess.run(command, cwd=spec.cwd, env=spec.env, capture_output=True, timeout=session + 300,
                           stdin=subprocess.DEVNULL)  # fmt: skip
            exited = time.monotonic() - start
            answered = min(model.answered_at) - start if model.answered_at else None
    finally:
        if away is not None:
            away.stop()
    result = Run(name, mode, answered, exited)
    if mode == "503":
        result.exports = exports_of([(r.at, r.path, r.body) for r in away.requests], start)
    elif mode == "dropped":
        result.exports = exports_of(away.requests, start)
    else:
        result.connects = [
            float(line.split()[1]) - wall
            for line in trace.read_text().splitlines()
            if f"htons({port})" in line and " connect(" in line
        ]
    return result


# --- `up` ----------------------------------------------------------------------------------------


def _aa_up(data_dir: Path, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "agent_analytics.cli", "up", "--data-dir", str(data_dir), *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def measure_up(root: Path) -> dict[str, float]:
    """Seconds: the longest stretch between two OTLP acknowledgements of a client posting every 50 ms, with
    nothing restarting (baseline) and while `up` restarts a SIGKILLed Prometheus; Prometheus ready again
    after its SIGKILL; a fresh `up` accepting OTLP after its start."""
    ports = {flag: free_port() for flag in ("--otlp-grpc-port", "--otlp-http-port", "--collector-metrics-port",
                                            "--exporter-port", "--prometheus-port", "--alertmanager-port")}  # fmt: skip
    args = [str(a) for pair in ports.items() for a in pair]
    otlp = f"http://127.0.0.1:{ports['--otlp-http-port']}/v1/metrics"
    ready = f"http://127.0.0.1:{ports['--prometheus-port']}/-/ready"

    def accepted() -> bool:
        try:
            return loopback.post(otlp, content=b"", headers={"Content-Type": "application/x-protobuf"},
                              timeout=2).status_code == 200  # fmt: skip
        except httpx.HTTPError:
            return False

    started = time.monotonic()
    up = _aa_up(root / "up-data", args)
    try:
        while not accepted():
            time.sleep(0.02)
        first_accept = time.monotonic() - started
        first_accept_cpu = _cpu_seconds(up.pid)
        json.loads(up.stdout.readline())  # everything ready
        prometheus = next(
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and f"PPid:\t{up.pid}\n" in _read(p / "status") and "prometheus" in _read(p / "comm")
        )
        acks, failed, stop = [], [], threading.Event()

        def post() -> None:
            while not stop.is_set():
                (acks if accepted() else failed).append(time.monotonic())
                time.sleep(0.05)

        poster = threading.Thread(target=post)
        poster.start()
        time.sleep(BASELINE_SECONDS)  # the same client with nothing restarting: the baseline
        killed = time.monotonic()
        os.kill(prometheus, signal.SIGKILL)
        time.sleep(0.2)
        while not _ok(ready):
            time.sleep(0.05)
        back = time.monotonic() - killed
        time.sleep(1)
        stop.set()
        poster.join()
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=60)
    return {
        "collector_gap_baseline": _longest_gap([t for t in acks if t < killed]),
        "collector_gap_while_prometheus_restarts": _longest_gap([t for t in acks if t >= killed]),
        "posts_failed_while_prometheus_restarts": len([t for t in failed if t >= killed]),
        "prometheus_back_after_sigkill": back,
        "up_start_to_otlp_accepted": first_accept,
        "up_cpu_until_otlp_accepted": first_accept_cpu,
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = _read(Path(f"/proc/{pid}/stat")).rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _longest_gap(times: list[float]) -> float:
    return max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _ok(url: str) -> bool:
    try:
        return loopback.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# --- the tables ------------------------------------------------------------------------------------


def _cell(exports: list[Export]) -> str:
    if not exports:
        return "no export"
    worst = max(exports, key=lambda e: (e.window, len(e.attempts)))
    made = _count(len(exports), "export")
    if len(worst.attempts) == 1:
        return f"1 attempt, not retried ({made})"
    return f"{len(worst.attempts)} attempts over {worst.window:.1f} s ({made})"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def table(runs: list[Run], versions: dict[str, str]) -> str:
    lines = [
        "| Client | Phase | Collector answers 503 | Connection dropped unanswered | Connection refused |",
        "|---|---|---|---|---|",
    ]
    by = {(r.client, r.mode): r for r in runs}
    for name in dict.fromkeys(r.client for r in runs):
        for phase in ("session", "exit"):
            cells = []
            for mode in MODES:
                run = by.get((name, mode))
                if run is None:
                    cells.append("not measured")
                elif mode == "refused":
                    dropped = by.get((name, "dropped"))
                    tries = sum(1 for t in run.connects if run.phase(t) == phase)
                    exports = sum(1 for e in dropped.exports if dropped.phase(e.attempts[0]) == phase) if dropped else 0
                    cells.append(f"{_count(tries, 'connection attempt')} for {_count(exports, 'export')}")
                else:
                    cells.append(_cell([e for e in run.exports if run.phase(e.attempts[0]) == phase]))
            label = f"{name} {versions[name]}" if phase == "session" else ""
            lines.append(
                f"| {label} | {'in a session' if phase == 'session' else 'at exit'} | " + " | ".join(cells) + " |"
            )
    return "\n".join(lines)


def up_table(figures: dict[str, float]) -> str:
    return "\n".join([
        "| `up` | Seconds |",
        "|---|---|",
        f"| Longest stretch between two OTLP acknowledgements (a post every 50 ms), nothing restarting (baseline) |"
        f" {figures['collector_gap_baseline']:.2f} |",
        f"| The same while Prometheus is SIGKILLed and restarted by `up`"
        f" ({figures['posts_failed_while_prometheus_restarts']} posts failed) |"
        f" {figures['collector_gap_while_prometheus_restarts']:.2f} |",
        f"| Prometheus ready again after its SIGKILL | {figures['prometheus_back_after_sigkill']:.2f} |",
        f"| A fresh `up` accepting OTLP after its start (added to the service manager's restart delay) |"
        f" {figures['up_start_to_otlp_accepted']:.2f} |",
        f"| ... of which CPU time of `up` (what a busy machine stretches) |"
        f" {figures['up_cpu_until_otlp_accepted']:.2f} |",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--session", type=float, default=30.0, help="seconds the model takes to answer (default 30)")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated (default: all)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON after the tables")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.clients.split(",") if n.strip()]
    modes = [m for m in MODES if m != "refused" or shutil.which("strace")]
    versions = {n: clients.version(CLIENTS[n][0]) for n in names}
    runs = []
    with tempfile.TemporaryDirectory(prefix="retry-windows-") as tmp:
        for name in names:
            for mode in modes:
                print(f"{name}: collector {mode} ...", file=sys.stderr, flush=True)
                runs.append(run_client(name, mode, args.session, Path(tmp)))
        print("up ...", file=sys.stderr, flush=True)
        figures = measure_up(Path(tmp))
    print(f"Session of {args.session:g} s per run; the worst export of each kind shown.\n")
    print(table(runs, versions))
    print()
    print(up_table(figures))
    if args.json:
        print(json.dumps({"runs": [asdict(r) for r in runs], "up": figures, "versions": versions}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
