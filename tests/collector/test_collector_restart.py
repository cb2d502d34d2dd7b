"""Planned restarts keep totals: the real `agent-analytics collector` process, stopped with SIGTERM
and started again on the same data dir, serves the same series, and a client that keeps
sending cumulative totals across the restart is not counted twice."""

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest

from tests.collector.payloads import load_payloads
from tests.collector.sdk_workload import CUMULATIVE, ROUNDS, Instruments, record
from tests.support import loopback
from tests.support.net import free_port, wait_http_ok
from tests.support.scrape import parse


def aa_command() -> list[str]:
    exe = Path(sys.executable).with_name("agent-analytics")
    return [str(exe)] if exe.exists() else [shutil.which("agent-analytics") or "agent-analytics"]


class CollectorProcess:
    def __init__(self, data_dir: Path, ports: tuple[int, int, int]):
        grpc_port, http_port, metrics_port = ports
        self.proc = subprocess.Popen(
            [
                *aa_command(),
                "collector",
                "--grpc-port",
                str(grpc_port),
                "--http-port",
                str(http_port),
                "--metrics-port",
                str(metrics_port),
                "--data-dir",
                str(data_dir),
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        assert line, f"collector did not start: {self.proc.stderr.read()}"
        self.endpoints = json.loads(line)
        wait_http_ok(self.endpoints["metrics"].replace("/metrics", "/healthz"))

    def scrape(self, *prefixes: str) -> dict:
        text = loopback.get(self.endpoints["metrics"], timeout=10).text
        return {k: v for prefix in prefixes for k, v in parse(text).series(prefix).items()}

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=30) == 0, self.proc.stderr.read()


def test_totals_survive_sigterm_and_start(tmp_path, claude_fixtures):
    ports = (free_port(), free_port(), free_port())
    data_dir = tmp_path / "data"
    first = CollectorProcess(data_dir, ports)
    http = first.endpoints["otlp_http"]

    for _, request in load_payloads(claude_fixtures, "metrics"):
        response = loopback.post(
            f"{http}/v1/metrics",
            content=request.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
        )
        assert response.status_code == 200

    resource = Resource.create({"service.name": "restart-test"})
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{http}/v1/metrics", preferred_temporality=CUMULATIVE),
        export_interval_millis=3_600_000,
    )
    client = MeterProvider([reader], resource=resource)
    registry = CollectorRegistry()
    reference = MeterProvider(
        [PrometheusMetricReader(disable_target_info=True, scope_info_enabled=False, registry=registry)],
        resource=resource,
    )
    instruments, reference_instruments = Instruments(client.get_meter("t")), Instruments(reference.get_meter("t"))
    try:
        for measurements in ROUNDS[:2]:
            record(instruments, measurements, "c")
            record(reference_instruments, measurements, "c")
            assert reader.force_flush(10_000)
        before = first.scrape("claude_code_", "app_")
        cost = sum(v for (name, _), v in before.items() if name == "claude_code_cost_usage_USD_total")
        assert abs(cost - 0.18225) < 1e-12  # the three recorded sessions
        assert before[("app_requests_total", frozenset({"route": "/b", "client": "c"}.items()))] == 5
        first.terminate()
        assert (data_dir / "metrics-state.json").exists()

        second = CollectorProcess(data_dir, ports)
        try:
            assert second.scrape("claude_code_", "app_") == before
            # the client goes on with its cumulative totals (same start time): only the increase counts
            record(instruments, ROUNDS[2], "c")
            record(reference_instruments, ROUNDS[2], "c")
            assert reader.force_flush(10_000)
            client.shutdown()  # its last export repeats the same totals
            after = second.scrape("claude_code_", "app_")
            expected = parse(generate_latest(registry).decode()).series("app_")
        finally:
            second.terminate()
    finally:
        client.shutdown()
        reference.shutdown()

    assert len(expected) == 42
    assert {k: v for k, v in after.items() if k[0].startswith("app_")} == expected
    assert {k: v for k, v in after.items() if k[0].startswith("claude_code_")} == {
        k: v for k, v in before.items() if k[0].startswith("claude_code_")
    }
