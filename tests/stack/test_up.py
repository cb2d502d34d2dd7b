"""`up` as a user runs it: the printed endpoints answer, data flows end to end, Ctrl-C stops everything."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agent_analytics.vocabulary.hourly import grown
from tests.support import loopback
from tests.support.net import wait_until
from tests.support.up_process import (
    cmdline,
    endpoint,
    env_for,
    fixture_cost,
    fixture_tokens,
    git_repo,
    port_args,
    prom_value,
    read_until,
    running_up,
    stop,
)

pytestmark = [pytest.mark.prometheus, pytest.mark.long]


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
        assert loopback.get(metrics, timeout=5).status_code == 200
        assert loopback.get(f"{exporter}/healthz", timeout=5).json()["repos"] == 1
        assert loopback.get(f"{prometheus}/-/ready", timeout=5).status_code == 200
        me = f"{sys.executable} -m agent_analytics.cli"  # how this `up` was started
        init_flags = f"--endpoint {otlp_http} --exporter-url {exporter} --prometheus-url {prometheus} --no-loki"
        assert f'  {me} init {init_flags} --team "$TEAM" --yes\n' in text
        assert f"  {me} doctor\n" in text  # init stored where Prometheus is
        assert f"OTEL_EXPORTER_OTLP_ENDPOINT={otlp_http}" in text

        # Prometheus scrapes all three and loaded the project's rules; its TSDB is under the data dir.
        def targets_up() -> bool:
            active = loopback.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
            return {t["labels"]["job"] for t in active if t["health"] == "up"} == {
                "prometheus",
                "collector",
                "exporter",
            }

        wait_until(targets_up, timeout=30, what="collector, exporter and prometheus targets up")
        groups = loopback.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
        assert groups and all(
            g["file"].startswith(str(Path(__file__).resolve().parents[2] / "prometheus")) for g in groups
        )
        assert (data_dir / "prometheus" / "wal").is_dir()

        # Data flows: a recorded Claude Code payload into the printed OTLP endpoint, git history via the exporter.
        body = json.loads((claude_fixtures / "session-apierror.metrics.json").read_text())
        r = loopback.post(f"{otlp_http}/v1/metrics", json=body, timeout=10)
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
        assert figures["spend"]["usage_usd"] == round(expected, 2)  # report --json gives money in cents
        assert figures["tokens"]["claude-code"] == fixture_tokens(body)

        stop(proc)
    # Everything is down: the ports are free and no Prometheus of this data dir is left.
    for url in (metrics, exporter, prometheus):
        with socket.socket() as s:
            s.bind(("127.0.0.1", int(url.split(":")[2].split("/")[0])))
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and str(data_dir).encode() in cmdline(p)]
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
