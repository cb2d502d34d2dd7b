"""Running `agent-analytics up` as a user does, for the stack's tests: its own HOME and ports, the
lines it prints, stopping it, and what its Prometheus answers."""

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from tests.support import loopback
from tests.support.net import free_port

PORT_FLAGS = (
    "--otlp-grpc-port",
    "--otlp-http-port",
    "--collector-metrics-port",
    "--exporter-port",
    "--prometheus-port",
    "--alertmanager-port",  # where its binary is installed, `up` runs Alertmanager too
)


def env_for(home: Path, path: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".data"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),  # git's global config follows HOME here too
    }
    if path is not None:
        env["PATH"] = path
    return env


def port_args() -> list[str]:
    return [arg for flag in PORT_FLAGS for arg in (flag, str(free_port()))]


def start_up(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "agent_analytics.cli", "up", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def run_up(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """`up` that is expected to stop by itself (an error), with its output."""
    return subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "up", *args], capture_output=True, text=True, env=env, timeout=60
    )


@contextmanager
def running_up(args: list[str], env: dict[str, str]):
    """`up` started as a user would; killed if the test leaves it running."""
    proc = start_up(args, env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop(proc: subprocess.Popen, sig: int = signal.SIGINT) -> None:
    """Stop `up` as Ctrl-C (or a service manager's SIGTERM) does; it must exit 0."""
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 90) -> str:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    out = ""
    deadline = time.monotonic() + timeout
    while marker not in out:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"up did not print {marker!r}; stdout={out!r} stderr={proc.stderr.read()!r}")
        if sel.select(timeout=0.5):
            line = proc.stdout.readline()
            out += line
    # the rest of the block, up to the report line
    while " demo --data-dir " not in out:
        out += proc.stdout.readline()
    return out


def endpoint(text: str, name: str) -> str:
    m = re.search(rf"^  {re.escape(name)}\s+(\S+)", text, re.M)
    assert m, f"{name} not in {text}"
    return m.group(1)


def git_repo(path: Path, commits: int) -> Path:
    path.mkdir()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@acme.dev"}
    env |= {"GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@acme.dev"}
    subprocess.run(["git", "init", "-q", str(path)], check=True, env=env)
    for i in range(commits):
        (path / "f.txt").write_text(f"{i}\n")
        subprocess.run(["git", "-C", str(path), "add", "f.txt"], check=True, env=env)
        subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", f"c{i}"], check=True, env=env)
    return path


def fixture_cost(body: dict) -> float:
    return sum(
        point["asDouble"]
        for rm in body["resourceMetrics"]
        for sm in rm["scopeMetrics"]
        for metric in sm["metrics"]
        if metric["name"] == "claude_code.cost.usage"
        for point in metric["sum"]["dataPoints"]
    )


def fixture_tokens(body: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for rm in body["resourceMetrics"]:
        for sm in rm["scopeMetrics"]:
            for metric in sm["metrics"]:
                if metric["name"] != "claude_code.token.usage":
                    continue
                for point in metric["sum"]["dataPoints"]:
                    kind = next(a["value"]["stringValue"] for a in point["attributes"] if a["key"] == "type")
                    out[kind] = out.get(kind, 0) + float(point.get("asDouble", point.get("asInt", 0)))
    return out


def prom_value(url: str, promql: str) -> float | None:
    result = loopback.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def cmdline(proc_dir: Path) -> bytes:
    try:
        return (proc_dir / "cmdline").read_bytes()
    except OSError:
        return b""


DEBIAN_LOKI = """#!/bin/sh
# Debian's `loki` package: a genetics program (linkage analysis) of the same name as Grafana Loki.
echo "Loki 2.4.7: unknown option $1" >&2
echo "Usage: loki [-v] [-i] [-r] control_file" >&2
exit 1
"""
