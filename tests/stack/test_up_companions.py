"""`up` beside Loki, Grafana and the other commands: it runs Loki and Grafana when installed, uses a
Loki it is given, prints commands that run as printed, and `backfill` asks its Prometheus."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import fake_loki_grafana, loopback
from tests.support.net import free_port, wait_until
from tests.support.up_process import DEBIAN_LOKI, endpoint, env_for, port_args, read_until, running_up, stop

pytestmark = pytest.mark.prometheus


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
        assert loopback.get(f"{loki}/ready", timeout=5).status_code == 200
        assert loopback.get(f"{grafana}/api/health", timeout=5).json()["database"] == "ok"

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
        r = loopback.post(f"{otlp_http}/v1/logs", content=body, headers={"Content-Type": "application/x-protobuf"})
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
            answer = loopback.post(
                f"{otlp_http}/v1/logs", content=body, headers={"Content-Type": "application/x-protobuf"}, timeout=10
            )
            assert answer.status_code == 200
            wait_until(lambda: loki.count() > 0, timeout=30, what="the events at the configured Loki")
            stop(proc)
    finally:
        loki.stop()


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
            found = loopback.get(f"{prometheus}/api/v1/alertmanagers", timeout=5).json()["data"]
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
