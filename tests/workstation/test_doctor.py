"""`agent-analytics doctor` against real running servers, and against dead ports."""

from __future__ import annotations

import json
import re
import threading
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent_analytics.alerting.alertmanager import generate
from agent_analytics.collector.config import load_config as collector_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from tests.support.alertmanager import Alertmanager
from tests.support.net import free_port, wait_until
from tests.support.prometheus import Prometheus
from tests.support.workstation import cli, isolated_home, make_repo

pytestmark = pytest.mark.prometheus
KEY = "team-key"


@contextmanager
def loki_ready_endpoint():
    """Loki cannot run here: a stand-in answering Loki's readiness probe (`GET /ready` -> 200 "ready")."""

    class Ready(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            ok = self.path == "/ready"
            body = b"ready\n" if ok else b"404 page not found\n"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = isolated_home(tmp_path, monkeypatch)
    monkeypatch.chdir(make_repo(tmp_path / "work"))
    return home


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A real collector and exporter (both requiring KEY), Prometheus scraping them, Loki's probe."""
    data = tmp_path_factory.mktemp("stack")
    with ExitStack() as stack:
        collector = CollectorService(
            collector_config(
                None, grpc_port=0, http_port=0, metrics_port=0, data_dir=data / "collector", auth_tokens=[KEY]
            )
        ).start()
        stack.callback(collector.stop)
        exporter = ExporterService(
            parse_config({"auth_tokens": [KEY]}), port=0, data_dir=data / "exporter", scan=False, poll=False
        ).start()
        stack.callback(exporter.stop)
        alertmanager = stack.enter_context(Alertmanager(generate(None, data / "alertmanager").write()))
        prometheus = stack.enter_context(
            Prometheus(
                targets={
                    "collector": [f"127.0.0.1:{collector.metrics_port}"],
                    "exporter": [f"127.0.0.1:{exporter.port}"],
                },
                alerting={"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager.port}"]}]}]},
            )
        )
        prometheus.wait_targets_up()
        loki = stack.enter_context(loki_ready_endpoint())
        yield {
            "endpoint": f"http://127.0.0.1:{collector.http_port}",
            "exporter": f"http://127.0.0.1:{exporter.port}",
            "prometheus": prometheus.url,
            "loki": loki,
            "collector_metrics": f"127.0.0.1:{collector.metrics_port}",
            "alertmanager": alertmanager.url,
        }


def init(stack: dict, key: str = KEY, *extra: str) -> None:
    result = cli(
        "init", "--yes", "--endpoint", stack["endpoint"], "--exporter-url", stack["exporter"], "--api-key", key, *extra
    )
    assert result.exit_code == 0, result.output


def doctor(*args: str) -> tuple[int, dict[str, dict]]:
    result = cli("doctor", "--json", *args)
    report = json.loads(result.stdout)
    assert report["ok"] is (result.exit_code == 0)
    return result.exit_code, {c["name"]: c for c in report["checks"]}


def statuses(checks: dict[str, dict]) -> dict[str, str]:
    return {name: c["status"] for name, c in checks.items()}


def test_everything_passes_against_a_running_stack(home, stack):
    init(stack, KEY, "--agents", "claude-code,gemini-cli,codex")
    code, checks = doctor("--prometheus-url", stack["prometheus"], "--loki-url", stack["loki"])
    assert statuses(checks) == {
        "config": "ok",
        "collector": "ok",
        "exporter": "ok",
        "prometheus": "ok",
        "prometheus targets": "ok",
        "alertmanager": "ok",
        "loki": "ok",
        "up service": "ok",  # not installed: nothing expects one
        "git hook": "ok",
        "commit spool": "ok",
        "claude-code": "ok",
        "gemini-cli": "ok",
        "codex": "ok",
        "status line": "ok",  # the bridge init put in place; nothing sent yet
    }, checks
    assert code == 0
    assert checks["prometheus targets"]["detail"] == "2 up (collector, exporter)"
    assert checks["alertmanager"]["detail"] == f"{stack['alertmanager']} ready"

    human = cli("doctor", "--prometheus-url", stack["prometheus"], "--loki-url", stack["loki"])
    assert human.exit_code == 0
    assert human.stdout.count("✓") == len(checks) and "✗" not in human.stdout
    assert human.stdout.rstrip().endswith("All checks passed.")


def test_a_wrong_key_and_drifted_agent_settings_fail_with_the_fix(home, stack):
    init(stack, "stale-key")
    settings = home / ".claude" / "settings.json"
    claude = json.loads(settings.read_text())
    claude["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://old-collector:4318"
    settings.write_text(json.dumps(claude))

    code, checks = doctor("--prometheus-url", stack["prometheus"], "--loki-url", stack["loki"])
    assert code == 1
    assert statuses(checks)["prometheus"] == "ok" and statuses(checks)["loki"] == "ok"
    assert checks["collector"]["status"] == "fail" and "refused the API key (401)" in checks["collector"]["detail"]
    assert checks["exporter"]["status"] == "fail" and "refused the API key" in checks["exporter"]["detail"]
    drift = f"OTEL_EXPORTER_OTLP_ENDPOINT is 'http://old-collector:4318', expected '{stack['endpoint']}'"
    assert checks["claude-code"] == {
        "name": "claude-code",
        "status": "fail",
        "detail": f"{settings}: {drift}",
        "fix": "run `agent-analytics init` again",
    }


def test_dead_ports_and_a_missing_hook_fail_and_say_what_to_do(home):
    dead = {name: f"http://127.0.0.1:{free_port()}" for name in ("endpoint", "exporter", "prometheus", "loki")}
    init(dead, KEY, "--no-hook")
    code, checks = doctor("--prometheus-url", dead["prometheus"], "--loki-url", dead["loki"])
    assert code == 1
    assert statuses(checks) == {
        "config": "ok",
        "collector": "fail",
        "exporter": "fail",
        "prometheus": "fail",
        "loki": "warn",  # events only: metrics work without Loki
        "up service": "ok",
        "git hook": "fail",
        "commit spool": "ok",
        "claude-code": "ok",
        "status line": "ok",
    }
    assert checks["collector"]["detail"] == f"{dead['endpoint']} unreachable (connection refused)"
    assert "agent-analytics up" in checks["collector"]["fix"]
    assert checks["git hook"]["fix"].startswith("run `agent-analytics hook install`")
    human = cli("doctor", "--prometheus-url", dead["prometheus"], "--loki-url", dead["loki"])
    assert human.exit_code == 1 and human.stdout.rstrip().endswith("4 check(s) failed.")


def test_a_down_scrape_target_is_named(home, stack):
    init(stack)
    dead_target = f"127.0.0.1:{free_port()}"
    with Prometheus(targets={"collector": [stack["collector_metrics"]], "exporter": [dead_target]}) as prometheus:
        checks: dict[str, dict] = {}

        def dead_target_scraped() -> bool:
            nonlocal code, checks
            code, checks = doctor("--prometheus-url", prometheus.url, "--loki-url", stack["loki"])
            return "down" in checks["prometheus targets"]["detail"]

        code = 0
        wait_until(dead_target_scraped, timeout=20, what="a first scrape of the dead target")
    assert code == 1
    target = checks["prometheus targets"]
    assert target["status"] == "fail"
    assert target["detail"].startswith(f"1 of 2 down: exporter http://{dead_target}/metrics (")
    assert "connection refused" in target["detail"]


def test_alerts_that_reach_no_alertmanager_are_a_warning_and_failed_sends_a_failure(home, stack, tmp_path):
    init(stack)
    targets = {"collector": [stack["collector_metrics"]]}
    with Prometheus(targets=targets) as alone:  # sends its alerts nowhere
        code, checks = doctor("--prometheus-url", alone.url, "--loki-url", stack["loki"])
    assert checks["alertmanager"] == {
        "name": "alertmanager",
        "status": "warn",
        "detail": "Prometheus sends its alerts to no Alertmanager: they fire and reach nobody",
        "fix": "install Alertmanager (`sudo apt-get install prometheus-alertmanager`) and restart `agent-analytics up`,"
        " or add alerting.alertmanagers to Prometheus' config",
    }
    # an Alertmanager that is not there, and an alert that fires at once: Prometheus' sends fail
    rules = tmp_path / "always.yml"
    rules.write_text("groups:\n  - name: always\n    rules:\n      - alert: Always\n        expr: vector(1)\n")
    gone = f"127.0.0.1:{free_port()}"
    alerting = {"alertmanagers": [{"static_configs": [{"targets": [gone]}]}]}
    resend = ["--rules.alert.resend-delay=1s"]  # not once a minute: the first send may precede discovery
    with Prometheus(targets=targets, rule_files=[rules], alerting=alerting, extra_args=resend) as sending:
        failure: dict = {}

        def failed_send_seen() -> bool:
            nonlocal failure
            failure = doctor("--prometheus-url", sending.url, "--loki-url", stack["loki"])[1]["alertmanager"]
            return failure["status"] == "fail"

        wait_until(failed_send_seen, timeout=30, what="a failed send to the missing Alertmanager")
    assert re.fullmatch(
        rf"\d+ of \d+ alerts Prometheus sent to http://{gone} failed \(it does not answer from here either\)",
        failure["detail"],
    ), failure
    assert failure["fix"].startswith("start Alertmanager (`docker compose up -d alertmanager`, or restart")


def test_without_a_config_doctor_says_to_run_init(home):
    code, checks = doctor()
    assert code == 1
    assert checks["config"]["status"] == "fail" and checks["config"]["fix"] == "run `agent-analytics init`"
