"""`up` runs Alertmanager when its package is installed (and says how to install it when not), and
the secrets of the receivers reach the receivers and nothing else: no generated file, no log
line, no metric, nothing left in the data folder once `up` stops."""

from __future__ import annotations

import os
import shutil
import signal
import socket
from pathlib import Path

import pytest
import yaml

from agent_analytics.alerting.alertmanager import SECRETS, Timings, generate
from agent_analytics.alerting.routing import alerting_from
from agent_analytics.config.files import parse_yaml
from tests.support import loopback
from tests.support.alertmanager import Alertmanager, Webhook, amtool
from tests.support.net import free_port, wait_until
from tests.support.up_process import endpoint, env_for, port_args, read_until, run_up, running_up, stop

pytestmark = pytest.mark.prometheus

# distinct and unguessable enough that finding one anywhere is a leak, not a coincidence
TOKEN, KEY, PASSWORD, SLACK_PATH = "tok-6b0f-webhook", "key-1c9e-pagerduty", "pw-3d7a-smtp", "sl-8e2b-slack"


class Receivers:
    """A webhook wanting a bearer token, Slack's and PagerDuty's endpoints as stand-ins on loopback, and an
    SMTP server that is not there (e-mail fails: the failure is logged)."""

    def __init__(self, folder: Path):
        self.hook, self.slack, self.pagerduty = Webhook().start(), Webhook().start(), Webhook().start()
        self.slack_file = folder / "slack-url"
        self.slack_file.write_text(f"{self.slack.url}/services/{SLACK_PATH}\n")
        self.env = {"HOOK_TOKEN": TOKEN, "PD_KEY": KEY, "SMTP_PASSWORD": PASSWORD}
        self.section = {
            "receivers": {
                "everywhere": {
                    "webhook": {"url": f"{self.hook.url}/alerts", "bearer_token": {"env": "HOOK_TOKEN"}},
                    "slack": {"url": {"file": str(self.slack_file)}, "channel": "#ai-spend"},
                    "pagerduty": {"routing_key": {"env": "PD_KEY"}, "url": f"{self.pagerduty.url}/v2/enqueue"},
                    "email": {
                        "to": "oncall@example.com",
                        "from": "alerts@example.com",
                        "smarthost": f"127.0.0.1:{free_port()}",
                        "username": "alerts",
                        "password": {"env": "SMTP_PASSWORD"},
                        "require_tls": False,
                    },
                }
            },
            "default": {"page": "everywhere", "ticket": "everywhere"},
        }

    def stop(self) -> None:
        for server in (self.hook, self.slack, self.pagerduty):
            server.stop()


def leaks(text: str | bytes) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode()
    return [s for s in (TOKEN, KEY, PASSWORD, SLACK_PATH) if s.encode() in data]


def files_holding_a_secret(folder: Path, skip: Path | None = None) -> list[str]:
    return [
        f"{p}: {leaks(p.read_bytes())}"
        for p in folder.rglob("*")
        if p.is_file() and (skip is None or skip not in p.parents) and leaks(p.read_bytes())
    ]


def test_every_secret_reaches_its_receiver_and_no_log_line_metric_or_config(tmp_path, monkeypatch):
    receivers = Receivers(tmp_path)
    for name, value in receivers.env.items():
        monkeypatch.setenv(name, value)
    try:
        routing = alerting_from(parse_yaml(yaml.safe_dump(receivers.section), "alerting.yaml"))
        quick = Timings(group_wait="1s", group_interval="1s", repeat={"page": "1h", "ticket": "1h"})
        config = generate(routing, tmp_path / "am", timings=quick).write()
        with Alertmanager(config) as am:
            sent = am.amtool("alert", "add", "alertname=AgentSpendFastBurn", "team_id=platform", "severity=page")
            assert sent.returncode == 0, sent.stderr
            wait_until(
                lambda: receivers.hook.notifications() and receivers.slack.requests and receivers.pagerduty.requests,
                timeout=30,
                what="the webhook, Slack and PagerDuty notified",
            )
            wait_until(lambda: "email" in am.log(), timeout=30, what="the failed e-mail in Alertmanager's log")
            # each secret went where it belongs
            assert receivers.hook.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
            assert receivers.slack.requests[0].path == f"/services/{SLACK_PATH}"
            assert receivers.pagerduty.requests[0].json()["routing_key"] == KEY
            # and nowhere else: the configuration and template, the log, the metrics, the status API
            assert files_holding_a_secret(tmp_path / "am", skip=tmp_path / "am" / SECRETS) == []
            assert "connection refused" in am.log() and leaks(am.log()) == []
            failed = loopback.get(f"{am.url}/metrics", timeout=5).text
            assert 'alertmanager_notifications_failed_total{integration="email"}' in failed and leaks(failed) == []
            assert leaks(loopback.get(f"{am.url}/api/v2/status", timeout=5).text) == []
            assert leaks(am.amtool("config", "show").stdout) == []
    finally:
        receivers.stop()


def test_up_runs_alertmanager_prints_it_and_keeps_the_secrets_out_of_everything(tmp_path):
    receivers = Receivers(tmp_path)
    config = tmp_path / "stack.yaml"
    config.write_text(yaml.safe_dump({"alerting": {"grafana_url": "https://grafana.example.com", **receivers.section}}))
    data_dir = tmp_path / "data"
    env = env_for(tmp_path) | receivers.env
    try:
        with running_up(["--config", str(config), "--data-dir", str(data_dir), *port_args()], env) as proc:
            text = read_until(proc, "Ctrl-C stops it")
            am, prometheus = endpoint(text, "Alertmanager"), endpoint(text, "Prometheus")
            assert loopback.get(f"{am}/-/ready", timeout=5).status_code == 200

            # Prometheus sends to it, and the routing is the operator's
            def sends_to() -> list[str]:
                found = loopback.get(f"{prometheus}/api/v1/alertmanagers", timeout=5).json()["data"]
                return [a["url"] for a in found["activeAlertmanagers"]]

            wait_until(lambda: sends_to() == [f"{am}/api/v2/alerts"], timeout=30, what="Prometheus sending to it")
            generated = data_dir / "run" / "alertmanager" / "alertmanager.yml"
            done = amtool("config", "routes", "test", f"--config.file={generated}", "team_id=platform", "severity=page")
            assert done.stdout.strip() == "everywhere"
            assert amtool("alert", "add", "alertname=AgentSpendFastBurn", "team_id=platform", "severity=page",
                          f"--alertmanager.url={am}").returncode == 0  # fmt: skip
            # no secret in what up printed or wrote (but the secrets folder), its children's logs, any metric
            secrets = data_dir / "run" / "alertmanager" / SECRETS
            assert sorted(p.name for p in secrets.iterdir()) == [
                "receivers.everywhere.email.password",
                "receivers.everywhere.pagerduty.routing_key",
                "receivers.everywhere.webhook.bearer_token",
            ]
            assert files_holding_a_secret(data_dir, skip=secrets) == []
            pages = [f"{endpoint(text, 'Exporter')}/metrics", endpoint(text, "Collector metrics")]
            pages += [f"{prometheus}/metrics", f"{am}/metrics", f"{am}/api/v2/status", f"{am}/api/v2/alerts"]
            for page in pages:
                assert leaks(loopback.get(page, timeout=5).text) == [], page
            stop(proc)
        assert leaks(text + proc.stdout.read() + proc.stderr.read()) == []
        assert not secrets.exists()  # removed as `up` stops
        assert files_holding_a_secret(data_dir) == []
        with socket.socket() as s:  # Alertmanager's port is free again
            s.bind(("127.0.0.1", int(am.rsplit(":", 1)[1])))
    finally:
        receivers.stop()


def test_without_alertmanager_up_runs_the_rest_and_says_how_to_install_it(tmp_path):
    bin_dir = tmp_path / "bin"  # Prometheus and git only: a machine without the package
    bin_dir.mkdir()
    for program in ("prometheus", "git"):
        (bin_dir / program).symlink_to(shutil.which(program))
    data_dir = tmp_path / "data"
    env = env_for(tmp_path, path=str(bin_dir))
    with running_up(["--data-dir", str(data_dir), *port_args()], env) as proc:
        text = read_until(proc, "Ctrl-C stops it")
        (line,) = [line for line in text.splitlines() if line.lstrip().startswith("Alertmanager")]
        assert line.split(None, 1)[1] == (
            "not started (no `alertmanager` or `prometheus-alertmanager` on PATH): install it with"
            " `sudo apt-get install prometheus-alertmanager`"
        )
        prometheus = endpoint(text, "Prometheus")
        assert loopback.get(f"{prometheus}/api/v1/alertmanagers", timeout=5).json()["data"]["activeAlertmanagers"] == []
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    assert not (data_dir / "run" / "alertmanager").exists()
    assert os.listdir(data_dir / "logs") and not (data_dir / "logs" / "alertmanager.log").exists()


def test_a_secret_missing_from_the_environment_stops_up_with_one_line(tmp_path):
    config = tmp_path / "stack.yaml"
    config.write_text(
        "alerting:\n  receivers:\n    oncall: {pagerduty: {routing_key: {env: ONCALL_PD_KEY}}}\n"
        "  default: {page: oncall}\n"
    )
    result = run_up(["--config", str(config), "--data-dir", str(tmp_path / "data"), *port_args()], env_for(tmp_path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {config}: alerting: receivers.oncall.pagerduty.routing_key: the environment variable ONCALL_PD_KEY"
        " is missing or empty: export ONCALL_PD_KEY"
    ]
