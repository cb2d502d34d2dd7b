"""Keeping the child processes of `up` running.

A child that exits is started again after a backoff (restart_policy.yaml beside this file); each
restart is one line on `up`'s standard error and one increment of
agent_analytics_stack_restarts_total{child}, served with the exporter's series. A child that keeps
exiting (more restarts within the window than the policy allows) is a crash loop: CrashLoop ends
the run with one line naming the child and the last line of its log. One child's exit never
touches the others.

Everything but collect() (read by the exporter's /metrics) runs on the thread that calls it, `up`'s
main thread: children are spawned from it, and their parent-death signal (parent_death.py) is tied
to it.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from prometheus_client.core import CounterMetricFamily

from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.vocabulary.series import STACK_RESTARTS
from agent_analytics.wire.child_ready import answers, last_line

from . import parent_death

POLICY_FILE = Path(__file__).with_name("restart_policy.yaml")
STOP_GRACE_SECONDS = 30


@dataclass(frozen=True)
class RestartPolicy:
    first_delay_seconds: float
    max_delay_seconds: float
    window_seconds: float
    max_restarts: int

    def delay(self, recent_restarts: int) -> float:
        return min(self.first_delay_seconds * 2**recent_restarts, self.max_delay_seconds)


def load_policy(path: Path = POLICY_FILE) -> RestartPolicy:
    return RestartPolicy(**yaml.safe_load(path.read_text()))


class CrashLoop(RuntimeFailure):
    """A child exited again after the restarts the policy allows; the message is one line."""


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def _seconds(value: float) -> str:
    return f"{value:.3g}s" if value < 10 else f"{value:.0f}s"


@dataclass
class Child:
    """A server `up` runs as a process: how to start it, where it logs, where it answers when ready."""

    name: str
    argv: list[str]
    log: Path
    ready_url: str
    proc: subprocess.Popen | None = None
    started_at: float = 0.0  # time.monotonic() of the last start
    restarts: int = 0  # since `up` started
    recent: list[float] = field(default_factory=list)  # times of the restarts still within the window
    restart_at: float | None = None  # an exited child: when it is started again
    delay: float = 0.0  # ... after this backoff

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Supervisor:
    def __init__(self, policy: RestartPolicy | None = None, report: Callable[[str], None] | None = None):
        self.policy = policy or load_policy()
        self.report = report or (lambda line: None)
        self.children: list[Child] = []

    # --- starting ------------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str], log: Path, ready_url: str) -> Child:
        child = Child(name, argv, log, ready_url)
        self._start(child)
        self.children.append(child)
        return child

    def _start(self, child: Child) -> None:
        with child.log.open("ab") as out:
            child.proc = subprocess.Popen(
                parent_death.command(child.argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C reaches only `up`, which stops the children in order
            )
        child.started_at = time.monotonic()

    # --- keeping them running ------------------------------------------------------------------

    def check(self) -> None:
        """Restart each child that exited once its backoff is over; CrashLoop when one keeps exiting."""
        now = time.monotonic()
        for child in self.children:
            if child.running():
                continue
            if child.restart_at is None:  # its exit is seen now
                child.recent = [t for t in child.recent if now - t < self.policy.window_seconds]
                if len(child.recent) >= self.policy.max_restarts:
                    raise CrashLoop(self._crash_loop_line(child))
                child.delay = self.policy.delay(len(child.recent))
                child.restart_at = now + child.delay
            if now >= child.restart_at:
                self._restart(child, now)

    def _restart(self, child: Child, now: float) -> None:
        ended = f"{how_it_ended(child.proc.returncode)} after {_seconds(now - child.started_at)}"
        self._start(child)
        child.restarts += 1
        child.recent.append(now)
        child.restart_at = None
        self.report(
            f"{child.name} stopped ({ended}); restarted after {_seconds(child.delay)},"
            f" restart {len(child.recent)} within {_seconds(self.policy.window_seconds)}"
            f" (pid {child.proc.pid}); log: {child.log}"
        )

    def _crash_loop_line(self, child: Child) -> str:
        return (
            f"{child.name} keeps stopping ({len(child.recent)} restarts within"
            f" {_seconds(self.policy.window_seconds)}, last {how_it_ended(child.proc.returncode)});"
            f" its log ends with: {last_line(child.log) or '(nothing)'} ({child.log})"
        )

    def wait_ready(self, timeout: float) -> Child | None:
        """Until every child answers its readiness URL, restarting those that exit meanwhile.

        Returns None once all are ready, else the first child not ready after `timeout` seconds;
        CrashLoop when a child keeps exiting.
        """
        waiting = list(self.children)
        deadline = time.monotonic() + timeout
        while waiting:
            self.check()
            waiting = [c for c in waiting if not (c.running() and answers(c.ready_url))]
            if waiting and time.monotonic() > deadline:
                return waiting[0]
            if waiting:
                time.sleep(0.1)
        return None

    # --- stopping ------------------------------------------------------------------------------

    def stop(self) -> None:
        """SIGTERM every child, last started first; SIGKILL what is still there after the grace time."""
        for child in reversed(self.children):
            if child.running():
                child.proc.terminate()
        for child in reversed(self.children):
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        self.children.clear()

    # --- for the exporter's /metrics -----------------------------------------------------------

    def collect(self) -> Iterator[CounterMetricFamily]:
        """prometheus_client's collector protocol: the restarts of each child since `up` started."""
        family = STACK_RESTARTS.family()
        for child in self.children:
            family.add_metric([child.name], child.restarts)
        yield family

    def describe(self) -> Iterator[CounterMetricFamily]:
        return self.collect()
