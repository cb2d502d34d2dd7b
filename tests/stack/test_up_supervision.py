"""`up` keeps its servers running: a child killed with SIGKILL comes back alone while agents and the git hook send,
and a child that keeps stopping ends `up` with one line naming it."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from agent_analytics.stack.supervision import load_policy
from agent_analytics.stack.supervisor import find_alertmanager
from tests.collector.sdk_workload import DELTA
from tests.collector.test_collector_kill import Recording
from tests.support import fake_loki_grafana, loopback
from tests.support.net import free_port, wait_until
from tests.support.scrape import scrape, total
from tests.support.up_process import env_for, port_args, prom_value, run_up

pytestmark = [pytest.mark.prometheus, pytest.mark.long]

READY = {"loki": "/ready", "alertmanager": "/-/ready", "prometheus": "/-/ready", "grafana": "/api/health"}
CHILDREN = tuple(READY)


def child_pid(parent: int, name: str) -> int | None:
    """The child process of `parent` running program `name` (by its file name), if any."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            argv = (proc / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if ppid == parent and name in {Path(a).name for a in argv}:
            return int(proc.name)
    return None


def program(child: str) -> str:
    """The file name of the program `up` runs for a child (Debian names Alertmanager's prometheus-alertmanager)."""
    if child == "alertmanager":
        return Path(find_alertmanager()[0]).name
    return child


class Sender:
    """An application using the OpenTelemetry SDK: a cost counter exported over OTLP (HTTP or gRPC, delta)
    after each addition; `acknowledged` is what the collector answered success for."""

    def __init__(self, name: str, exporter):
        self.name = name
        self.exporter = Recording(exporter, DELTA)
        self.reader = PeriodicExportingMetricReader(self.exporter, export_interval_millis=3_600_000)
        self.provider = MeterProvider([self.reader], resource=Resource.create({"service.name": name}))
        self.counter = self.provider.get_meter("supervision").create_counter("app.cost", unit="USD")
        self.added = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        rounds = 0
        while not self.stop.is_set():
            rounds += 1
            value = 0.25 * (rounds % 4 + 1)
            self.counter.add(value, {"client": self.name})
            self.added += value
            self.reader.force_flush(timeout_millis=5_000)
            time.sleep(0.1)

    def acknowledged(self) -> float:
        return sum(sum(values.values()) for ok, values in self.exporter.outcomes if ok)

    def refused(self) -> int:
        return sum(1 for ok, _ in self.exporter.outcomes if not ok)

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.provider.shutdown()


class Committer:
    """A developer committing in a real repository through the git hook `init` installed, one
    commit every few tenths of a second; `made` counts the commits git made."""

    def __init__(self, repo: Path, env: dict[str, str]):
        self.repo, self.env = repo, env
        self.made = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.repo, env=self.env, check=True, capture_output=True, timeout=60)

    def _run(self) -> None:
        while not self.stop.is_set():
            (self.repo / "work.txt").write_text(f"{self.made}\n")
            self.git("add", "work.txt")
            self.git("commit", "-q", "-m", f"change {self.made}")
            self.made += 1
            time.sleep(0.3)

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def collector_total(metrics_url: str, client: str) -> float:
    page = loopback.get(metrics_url, timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line.startswith("app_cost_USD_total{") and f'client="{client}"' in line
    )


def logs_at_loki(record: Path) -> int:
    total = 0
    for path in record.glob("loki-*.pb"):
        got = ExportLogsServiceRequest.FromString(path.read_bytes())
        total += sum(len(sl.log_records) for rl in got.resource_logs for sl in rl.scope_logs)
    return total


def test_each_child_killed_comes_back_alone_while_agents_send(tmp_path, claude_fixtures):
    fakes = fake_loki_grafana.install(tmp_path / "bin")
    record = tmp_path / "record"
    env = env_for(tmp_path, path=f"{fakes}:{os.environ['PATH']}") | {"FAKE_RECORD_DIR": str(record)}
    config = tmp_path / "stack.yaml"
    config.write_text("prometheus:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
    ports = [*port_args(), "--loki-port", str(free_port()), "--grafana-port", str(free_port())]
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data"), *ports, "--json"]
    stderr = tmp_path / "up.err"
    with stderr.open("w") as err:
        up = subprocess.Popen(
            [sys.executable, "-m", "agent_analytics.cli", "up", *args],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
    senders, committer = [], None
    try:
        endpoints = json.loads(up.stdout.readline() or "null")
        assert endpoints, stderr.read_text()
        prometheus, metrics = endpoints["prometheus"], endpoints["collector_metrics"]
        grpc_target = endpoints["otlp_grpc"]
        senders = [
            Sender("http", HttpExporter(endpoint=f"{endpoints['otlp_http']}/v1/metrics", timeout=5)),
            Sender("grpc", GrpcExporter(endpoint=grpc_target, insecure=True, timeout=5)),
        ]
        # the workstation of this `up`, set up as `up` prints it: its git hook sends to the exporter
        workstation = [
            *("init", "--endpoint", endpoints["otlp_http"], "--exporter-url", endpoints["exporter"]),
            *("--prometheus-url", prometheus, "--no-loki", "--team", "platform", "--developer-id", "ada@example.com"),
            "--yes",
        ]
        done = subprocess.run(
            [sys.executable, "-m", "agent_analytics.cli", *workstation], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        repo = tmp_path / "repo"
        repo.mkdir()
        committer = Committer(
            repo, env | {"GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_EMAIL": "ada@example.com"}
        )
        committer.git("init", "-q", "-b", "main")
        for sender in (*senders, committer):
            sender.thread.start()
        events = (claude_fixtures / "session-tools.logs.pb").read_bytes()
        sent = ExportLogsServiceRequest.FromString(events)
        records_per_post = sum(len(sl.log_records) for rl in sent.resource_logs for sl in rl.scope_logs)
        posted = 0

        for name in CHILDREN:
            before = child_pid(up.pid, program(name))
            assert before is not None, name
            os.kill(before, signal.SIGKILL)
            if name == "loki":  # events arriving while Loki is away wait in the collector's spool
                answer = loopback.post(
                    f"{endpoints['otlp_http']}/v1/logs",
                    content=events,
                    headers={"Content-Type": "application/x-protobuf"},
                    timeout=10,
                )
                assert answer.status_code == 200
                posted += records_per_post
            wait_until(
                lambda n=name, b=before: (
                    child_pid(up.pid, program(n)) not in (None, b)
                    and loopback.get(endpoints[n] + READY[n], timeout=2).status_code == 200
                ),
                timeout=20,
                what=f"{name} back after SIGKILL",
            )
            assert up.poll() is None, stderr.read_text()

        wait_until(lambda: logs_at_loki(record) == posted, timeout=30, what="the spooled events at the restarted Loki")
        for sender in (*senders, committer):
            sender.finish()
        # Every commit of the git hook reached the exporter, once (it never went away).
        commits = "agent_analytics_git_commits_total"
        assert committer.made >= len(CHILDREN)
        wait_until(
            lambda: total(scrape(endpoints["exporter"]), commits, team_id="platform") == committer.made,
            timeout=30,
            what="every commit of the git hook at the exporter",
        )
        # Every export was acknowledged (the collector never went away), and the collector holds exactly that.
        for sender in senders:
            assert sender.refused() == 0
            assert sender.acknowledged() == pytest.approx(sender.added)
            assert collector_total(metrics, sender.name) == pytest.approx(sender.acknowledged())
        acknowledged = sum(s.acknowledged() for s in senders)
        wait_until(
            lambda: prom_value(prometheus, "sum(app_cost_USD_total)") == pytest.approx(acknowledged),
            timeout=30,
            what="the acknowledged cost in the restarted Prometheus",
        )
        # Each restart counted once, on the exporter's page and so in Prometheus.
        restarts = "agent_analytics_stack_restarts_total"
        for name in CHILDREN:
            wait_until(
                lambda n=name: prom_value(prometheus, f'{restarts}{{child="{n}"}}') == 1,
                timeout=30,
                what=f"{restarts} of {name} in Prometheus",
            )
        # No counter the collector or exporter exposes went back; only Prometheus' own restarted.
        assert counter_resets(prometheus, 'job=~"collector|exporter"') == {}

        lines = stderr.read_text().splitlines()
        policy = load_policy()
        for name in CHILDREN:
            (line,) = [line for line in lines if line.startswith(f"{name} stopped ")]
            assert line.startswith(f"{name} stopped (killed by SIGKILL after ")
            assert f"; restarted after {policy.first_delay_seconds:g}s, restart 1 within 60s (pid " in line
            assert line.endswith(f"; log: {tmp_path / 'data' / 'logs' / name}.log")
        assert sum("; restarted after " in line for line in lines) == len(CHILDREN), lines  # nothing else restarted

        up.send_signal(signal.SIGTERM)  # as a service manager stops it
        assert up.wait(timeout=60) == 0, stderr.read_text()
        assert (record / "loki.stopped").exists() and (record / "grafana.stopped").exists()
    finally:
        for sender in senders:
            sender.stop.set()
        if committer is not None:
            committer.stop.set()
        if up.poll() is None:
            up.kill()
            up.wait()


def counter_resets(prometheus: str, selector: str) -> dict[str, float]:
    """Counters (`_total` series) matching `selector` that Prometheus saw go back in the last 10 minutes."""
    match = f'{{__name__=~".+_total", {selector}}}'
    names = loopback.get(f"{prometheus}/api/v1/label/__name__/values", params={"match[]": match}, timeout=10)
    assert names.json()["data"], names.text
    found = {}
    for name in names.json()["data"]:
        count = prom_value(prometheus, f"sum(resets({name}{{{selector}}}[10m]))")
        if count:
            found[name] = count
    return found


BROKEN_PROMETHEUS = """#!/bin/sh
echo "$$" >> "{runs}"
echo 'ts=2026-12-06T10:00:00Z level=error msg="Fatal error" err="opening storage failed: disk full"' >&2
exit 1
"""


def test_a_child_that_keeps_stopping_ends_up_with_one_line_naming_it(tmp_path):
    fakes = tmp_path / "bin"
    fakes.mkdir()
    runs = tmp_path / "runs"
    (fakes / "prometheus").write_text(BROKEN_PROMETHEUS.format(runs=runs))
    (fakes / "prometheus").chmod(0o755)
    data_dir = tmp_path / "data"
    env = env_for(tmp_path, path=f"{fakes}:{os.environ['PATH']}")
    result = run_up(["--data-dir", str(data_dir), *port_args()], env)

    policy = load_policy()
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    log = data_dir / "logs" / "prometheus.log"
    assert lines[-1] == (
        f"error: prometheus keeps stopping ({policy.max_restarts} restarts within 60s, last exit code 1);"
        f' its log ends with: ts=2026-12-06T10:00:00Z level=error msg="Fatal error" err="opening storage failed:'
        f' disk full" ({log})'
    )
    restarts = [line for line in lines if line.startswith("prometheus stopped (exit code 1 after ")]
    assert len(restarts) == policy.max_restarts
    assert [line.split("; restarted after ")[1].split(",")[0] for line in restarts] == [
        f"{policy.delay(n):g}s" for n in range(policy.max_restarts)
    ]
    assert len(runs.read_text().split()) == 1 + policy.max_restarts  # started once, restarted a bounded number


def test_a_killed_up_leaves_nothing_behind_and_starts_again(tmp_path):
    """What a service manager's restart of `up` relies on: `up` killed with SIGKILL, its Prometheus stops
    cleanly by itself (it got SIGTERM), and a new `up` on the same data dir and ports starts."""
    data_dir = tmp_path / "data"
    args = [sys.executable, "-m", "agent_analytics.cli", "up", "--data-dir", str(data_dir), *port_args(), "--json"]
    env = env_for(tmp_path)
    for attempt in ("first", "after the kill"):
        up = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            endpoints = json.loads(up.stdout.readline() or "null")
            assert endpoints, (attempt, up.stderr.read() if up.poll() is not None else "")
            prometheus = child_pid(up.pid, "prometheus")
            assert prometheus is not None
        finally:
            up.kill()
            up.wait()
        wait_until(lambda p=prometheus: not Path(f"/proc/{p}").exists(), timeout=30, what="Prometheus gone")
        assert (data_dir / "logs" / "prometheus.log").read_text().rstrip().endswith('msg="See you next time!"')
