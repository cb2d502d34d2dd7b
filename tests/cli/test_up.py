"""`up` as a user runs it: the printed endpoints answer, data flows end to end, Ctrl-C stops everything."""

import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from agent_analytics.vocabulary.hourly import grown
from tests.cli import fake_loki_grafana
from tests.support.net import free_port, wait_until

pytestmark = pytest.mark.prometheus

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
    result = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def test_up_serves_everything_and_stops_cleanly_on_ctrl_c(tmp_path, claude_fixtures):
    repo = git_repo(tmp_path / "api", commits=3)
    config = tmp_path / "stack.yaml"
    config.write_text(
        f"exporter:\n  repos: [{repo}]\n  scan_interval_seconds: 1\n"
        "prometheus:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
    )
    data_dir = tmp_path / "data"
    args = ["--config", str(config), "--data-dir", str(data_dir), *port_args()]
    with running_up(args, env_for(tmp_path)) as proc:
        text = read_until(proc, "Ctrl-C stops it")
        metrics = endpoint(text, "Collector metrics")
        exporter = endpoint(text, "Exporter")
        prometheus = endpoint(text, "Prometheus")
        otlp_http = endpoint(text, "Collector OTLP/HTTP")
        assert httpx.get(metrics, timeout=5).status_code == 200
        assert httpx.get(f"{exporter}/healthz", timeout=5).json()["repos"] == 1
        assert httpx.get(f"{prometheus}/-/ready", timeout=5).status_code == 200
        me = f"{sys.executable} -m agent_analytics.cli"  # how this `up` was started
        init_flags = f"--endpoint {otlp_http} --exporter-url {exporter} --prometheus-url {prometheus} --no-loki"
        assert f'  {me} init {init_flags} --team "$TEAM" --yes\n' in text
        assert f"  {me} doctor\n" in text  # init stored where Prometheus is
        assert f"OTEL_EXPORTER_OTLP_ENDPOINT={otlp_http}" in text

        # Prometheus scrapes all three and loaded the project's rules; its TSDB is under the data dir.
        def targets_up() -> bool:
            active = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
            return {t["labels"]["job"] for t in active if t["health"] == "up"} == {
                "prometheus",
                "collector",
                "exporter",
            }

        wait_until(targets_up, timeout=30, what="collector, exporter and prometheus targets up")
        groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
        assert groups and all(
            g["file"].startswith(str(Path(__file__).resolve().parents[2] / "prometheus")) for g in groups
        )
        assert (data_dir / "prometheus" / "wal").is_dir()

        # Data flows: a recorded Claude Code payload into the printed OTLP endpoint, git history via the exporter.
        body = json.loads((claude_fixtures / "session-apierror.metrics.json").read_text())
        r = httpx.post(f"{otlp_http}/v1/metrics", json=body, timeout=10)
        assert r.status_code == 200, r.text
        expected = fixture_cost(body)
        assert expected > 0
        wait_until(
            lambda: prom_value(prometheus, "sum(claude_code_cost_usage_USD_total)") == pytest.approx(expected),
            timeout=30,
            what="the payload's cost in Prometheus",
        )
        wait_until(
            lambda: prom_value(prometheus, "sum(agent_analytics_git_commits_total)") == 3,
            timeout=30,
            what="the repository's 3 commits in Prometheus",
        )
        wait_until(  # report reads the hourly pre-aggregates, recorded at each rule evaluation (every minute)
            lambda: prom_value(prometheus, grown("claude_code_cost_usage_USD_total", "1h")) == pytest.approx(expected),
            timeout=150,
            what="the payload's cost in the hourly series",
        )

        # report reads it back: the payload's cost and tokens, exactly, although the series is brand new
        # (its first scraped value already holds the whole session).
        report = subprocess.run(
            [
                sys.executable,
                "-m",
                "agent_analytics.cli",
                "report",
                "--prometheus",
                prometheus,
                "--range",
                "7d",
                "--json",
            ],
            capture_output=True,
            text=True,
            env=env_for(tmp_path),
            timeout=60,
        )
        assert report.returncode == 0, report.stderr
        figures = json.loads(report.stdout)
        assert figures["spend"]["metered_usd"] == round(expected, 2)  # report --json gives money in cents
        assert figures["tokens"]["claude-code"] == fixture_tokens(body)

        stop(proc)
    # Everything is down: the ports are free and no Prometheus of this data dir is left.
    for url in (metrics, exporter, prometheus):
        with socket.socket() as s:
            s.bind(("127.0.0.1", int(url.split(":")[2].split("/")[0])))
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and str(data_dir).encode() in _cmdline(p)]
    assert leftovers == []

    # Started again at once, on the same ports and data: it comes up, and nothing is counted twice.
    with running_up(args, env_for(tmp_path)) as proc:
        read_until(proc, "Ctrl-C stops it")
        wait_until(
            lambda: prom_value(prometheus, "sum(claude_code_cost_usage_USD_total)") == pytest.approx(expected),
            timeout=30,
            what="the same cost after a restart",
        )
        assert prom_value(prometheus, "sum(agent_analytics_git_commits_total)") == 3
        stop(proc)


def _cmdline(proc_dir: Path) -> bytes:
    try:
        return (proc_dir / "cmdline").read_bytes()
    except OSError:
        return b""


def test_busy_port_is_a_one_line_error(tmp_path):
    args = port_args()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args[args.index("--prometheus-port") + 1] = str(port)
        result = run_up(["--data-dir", str(tmp_path / "d"), *args], env_for(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port} (Prometheus) is already in use" in lines[0] and "--prometheus-port" in lines[0]


def test_missing_prometheus_names_the_install_command(tmp_path):
    empty = tmp_path / "bin"  # git only: a machine without Prometheus
    empty.mkdir()
    (empty / "git").symlink_to(shutil.which("git"))
    result = run_up(["--data-dir", str(tmp_path / "d"), *port_args()], env_for(tmp_path, path=str(empty)))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "prometheus not found" in lines[0] and "sudo apt-get install prometheus" in lines[0]


def test_up_runs_loki_and_grafana_when_installed_and_wires_them(tmp_path, claude_fixtures):
    """With `loki` and `grafana-server` on PATH: started with generated config, events reach Loki, SIGTERM stops all."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    fakes = fake_loki_grafana.install(tmp_path / "bin")
    record = tmp_path / "record"
    env = env_for(tmp_path, path=f"{fakes}:{os.environ['PATH']}") | {"FAKE_RECORD_DIR": str(record)}
    data_dir = tmp_path / "data"
    args = [
        "--data-dir",
        str(data_dir),
        *port_args(),
        "--loki-port",
        str(free_port()),
        "--grafana-port",
        str(free_port()),
    ]
    with running_up(args, env) as proc:
        text = read_until(proc, "Ctrl-C stops it")
        loki, grafana, alertmanager = endpoint(text, "Loki"), endpoint(text, "Grafana"), endpoint(text, "Alertmanager")
        prometheus, otlp_http = endpoint(text, "Prometheus"), endpoint(text, "Collector OTLP/HTTP")
        assert httpx.get(f"{loki}/ready", timeout=5).status_code == 200
        assert httpx.get(f"{grafana}/api/health", timeout=5).json()["database"] == "ok"

        # Grafana gets the project's datasources pointed at this machine, and its dashboards folder.
        argv = json.loads((record / "grafana.argv").read_text())
        ini = next(a.split("=", 1)[1] for a in argv if a.startswith("--config="))
        provisioning = Path(re.search(r"^provisioning = (.+)$", Path(ini).read_text(), re.M).group(1))
        datasources = yaml.safe_load((provisioning / "datasources" / "datasources.yaml").read_text())["datasources"]
        assert {d["uid"]: d["url"] for d in datasources} == {
            "aa-prometheus": prometheus,
            "aa-loki": loki,
            "aa-alertmanager": alertmanager,
        }
        providers = yaml.safe_load((provisioning / "dashboards" / "dashboards.yaml").read_text())["providers"]
        dashboards = Path(providers[0]["options"]["path"])
        assert dashboards == Path(__file__).resolve().parents[2] / "grafana" / "dashboards"
        assert sorted(dashboards.glob("*.json"))

        # The collector forwards events to this Loki's OTLP endpoint.
        body = (claude_fixtures / "session-tools.logs.pb").read_bytes()
        sent = ExportLogsServiceRequest.FromString(body)
        expected = sum(len(sl.log_records) for rl in sent.resource_logs for sl in rl.scope_logs)
        assert expected > 0
        r = httpx.post(f"{otlp_http}/v1/logs", content=body, headers={"Content-Type": "application/x-protobuf"})
        assert r.status_code == 200, r.text

        def forwarded() -> int:
            total = 0
            for path in record.glob("loki-*.pb"):
                got = ExportLogsServiceRequest.FromString(path.read_bytes())
                total += sum(len(sl.log_records) for rl in got.resource_logs for sl in rl.scope_logs)
            return total

        wait_until(lambda: forwarded() == expected, timeout=30, what=f"{expected} log records at the fake Loki")

        stop(proc, signal.SIGTERM)  # as a service manager stops it
    assert (record / "loki.stopped").exists() and (record / "grafana.stopped").exists()


def test_a_bad_config_file_is_a_one_line_error(tmp_path):
    config = tmp_path / "stack.yaml"
    config.write_text("ports:\n  prometheus: 99999\n")
    result = run_up(["--config", str(config), "--data-dir", str(tmp_path / "d")], env_for(tmp_path))
    assert result.returncode == 2  # config mistakes exit 2 in every command
    assert result.stderr.strip() == (
        f"error: {config}: ports.prometheus: expected a port number 1-65535, got 99999 (line 2)"
    )


@pytest.mark.parametrize(
    ("setting", "shown"),
    [("retention: forever", "'forever'"), ("scrape_interval: 15", "15"), ("evaluation_interval: 1m30", "'1m30'")],
)
def test_a_bad_prometheus_duration_is_a_one_line_error(tmp_path, setting, shown):
    config = tmp_path / "stack.yaml"
    config.write_text(f"prometheus:\n  {setting}\n")
    result = run_up(["--config", str(config), "--data-dir", str(tmp_path / "d"), *port_args()], env_for(tmp_path))
    assert result.returncode == 2
    key = setting.split(":")[0]
    default = {"retention": "400d", "scrape_interval": "15s", "evaluation_interval": "1m"}[key]
    assert result.stderr.strip() == (
        f"error: {config}: prometheus.{key}: expected a Prometheus duration such as {default}, 90d or 1h30m,"
        f" got {shown} (line 2)"
    )


def test_a_port_left_in_time_wait_by_a_stopped_run_is_free():
    """A stopped `up` leaves its servers' closed connections in TIME_WAIT; starting again at once
    must not call those ports busy (the servers bind with SO_REUSEADDR, and so does the check)."""
    from agent_analytics.stack.supervisor import port_free

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = server.accept()
        assert not port_free(port)  # listening: busy
        conn.close()  # the server side closes first: its end of the connection enters TIME_WAIT
        client.recv(1)
        client.close()
    assert port_free(port)


def test_a_second_up_on_the_same_data_dir_is_refused(tmp_path):
    """Two stacks on one data dir would run two Prometheus on one TSDB and let two collectors
    overwrite each other's saved totals: the second `up` must stop with one line."""
    data_dir = tmp_path / "data"
    with running_up(["--data-dir", str(data_dir), *port_args()], env_for(tmp_path)) as first:
        read_until(first, "Ctrl-C stops it")
        second = run_up(["--data-dir", str(data_dir), *port_args()], env_for(tmp_path))
        assert second.returncode == 1
        assert second.stdout == ""
        assert second.stderr.strip() == (
            f"error: {data_dir} is in use by another `agent-analytics up` (pid {first.pid}):"
            " stop it first, or pass another --data-dir"
        )
        assert first.poll() is None  # the first one keeps running
        stop(first)
    with running_up(["--data-dir", str(data_dir), *port_args()], env_for(tmp_path)) as again:
        read_until(again, "Ctrl-C stops it")  # stopped, the first one let the folder go
        stop(again)


def test_backfill_asks_the_prometheus_of_the_up_on_its_data_dir(tmp_path):
    """`up` on other ports than the defaults: a backfill into its data dir must ask that stack's
    Prometheus where live data begins, not whatever answers (or not) on port 9090."""
    data_dir = tmp_path / "data"
    transcripts = tmp_path / "projects"
    transcripts.mkdir()
    with running_up(["--data-dir", str(data_dir), *port_args()], env_for(tmp_path)) as proc:
        prometheus = endpoint(read_until(proc, "Ctrl-C stops it"), "Prometheus")
        backfill = subprocess.run(
            [sys.executable, "-m", "agent_analytics.cli", "backfill", "claude-logs", str(transcripts)]
            + ["--developer-id", "dev@acme.dev", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            env=env_for(tmp_path),
            timeout=120,
        )
        stop(proc)
    assert backfill.returncode == 0, backfill.stderr
    assert "warning" not in backfill.stderr and "9090" not in backfill.stderr, backfill.stderr
    assert prometheus.startswith("http://127.0.0.1:") and not prometheus.endswith(":9090")


def test_a_loki_url_in_the_collector_section_is_used(tmp_path, claude_fixtures):
    """`collector: {loki_url: ...}` in the --config file (a Loki `up` does not run itself)."""
    from tests.support.loki_standin import LokiStandin

    loki = LokiStandin().start()
    try:
        config = tmp_path / "stack.yaml"
        config.write_text(f"collector:\n  loki_url: {loki.url}\n")
        args = ["--config", str(config), "--data-dir", str(tmp_path / "data"), *port_args()]
        with running_up(args, env_for(tmp_path)) as proc:
            otlp_http = endpoint(read_until(proc, "Ctrl-C stops it"), "Collector OTLP/HTTP")
            body = (claude_fixtures / "session-tools.logs.pb").read_bytes()
            answer = httpx.post(
                f"{otlp_http}/v1/logs", content=body, headers={"Content-Type": "application/x-protobuf"}, timeout=10
            )
            assert answer.status_code == 200
            wait_until(lambda: loki.count() > 0, timeout=30, what="the events at the configured Loki")
            stop(proc)
    finally:
        loki.stop()


DEBIAN_LOKI = """#!/bin/sh
# Debian's `loki` package: a genetics program (linkage analysis) of the same name as Grafana Loki.
echo "Loki 2.4.7: unknown option $1" >&2
echo "Usage: loki [-v] [-i] [-r] control_file" >&2
exit 1
"""


def test_the_commands_up_prints_run_as_printed_and_a_foreign_loki_is_left_alone(tmp_path):
    """Started by path, with no `agent-analytics` on PATH and Debian's genetics `loki` there: every printed
    command runs as printed in a shell, and `doctor` then checks this very stack, Loki not expected."""
    script = Path(sys.executable).with_name("agent-analytics")
    assert script.is_file()
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "loki").write_text(DEBIAN_LOKI)
    (tools / "loki").chmod(0o755)
    path = f"{tools}:/usr/bin:/bin"
    assert shutil.which("agent-analytics", path=path) is None and shutil.which("prometheus", path=path)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\temail = Ada@Example.com\n\tname = Ada\n")
    env = env_for(home, path=path)
    data_dir = tmp_path / "data dir"
    proc = subprocess.Popen(
        [str(script), "up", "--data-dir", str(data_dir), *port_args()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        text = read_until(proc, "Ctrl-C stops it")
        prometheus = endpoint(text, "Prometheus")
        assert f"  Loki                 not started ({tools / 'loki'} is not Grafana Loki);" in text
        commands = [line.strip() for line in text.splitlines() if line.strip().startswith(("TEAM=", str(script)))]
        assert [c.split()[:2] for c in commands] == [
            ["TEAM=my-team"],
            [str(script), "init"],
            [str(script), "doctor"],
            [str(script), "report"],
            [str(script), "demo"],
        ], commands
        setup = subprocess.run(
            ["sh", "-c", "\n".join(commands[:2])], capture_output=True, text=True, env=env, timeout=120
        )
        assert setup.returncode == 0, setup.stderr
        config = yaml.safe_load((home / ".config" / "agent-analytics" / "config.yaml").read_text())
        assert config["team_id"] == "my-team" and config["developer_id"] == "ada@example.com"
        assert config["prometheus_url"] == prometheus and config["without_loki"] is True

        def sends_alerts() -> bool:  # Prometheus applies discovered targets every 5 s: its Alertmanager too
            found = httpx.get(f"{prometheus}/api/v1/alertmanagers", timeout=5).json()["data"]
            return bool(found["activeAlertmanagers"])

        wait_until(sends_alerts, timeout=30, what="Prometheus sending to the Alertmanager of up")
        doctor = subprocess.run(
            ["sh", "-c", f"{commands[2]} --json"], capture_output=True, text=True, env=env, timeout=120, cwd=home
        )
        checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
        names = ("collector", "exporter", "prometheus", "alertmanager", "loki")
        assert {name: checks[name]["status"] for name in names} == {
            "collector": "ok",
            "exporter": "ok",
            "prometheus": "ok",
            "alertmanager": "ok",  # the one `up` runs, which its Prometheus sends to
            "loki": "ok",
        }, checks
        assert checks["prometheus"]["detail"] == f"{prometheus} ready"
        assert checks["loki"]["detail"] == "not used: this stack keeps events without Loki (`init --no-loki`)"

        report = subprocess.run(["sh", "-c", commands[3]], capture_output=True, text=True, env=env, timeout=120)
        assert report.returncode == 0, report.stderr
        assert f"({prometheus})" in report.stdout  # the Prometheus of this `up`, found through its data dir
        stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
