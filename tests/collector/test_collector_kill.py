"""kill -9 loses nothing acknowledged and counts nothing twice.

The real `agent-analytics collector` process is killed with SIGKILL at random moments, 20 times,
while the OpenTelemetry SDK's OTLP exporters (gRPC and HTTP, delta and cumulative) and senders of
the recorded Claude Code payloads send concurrently, and a real Prometheus scrapes it every
second. Every recorded-payload request carries its own x-developer-id, and every delta round of
the SDK clients its own `round` attribute, so each one is a series of its own: an acknowledged one
must be there with exactly its value, one refused before it was sent must be absent, and one cut
by the kill after it was sent may be either (OTLP has no request ids; the collector may have made
it durable just before dying) — never twice, never in part. Cumulative streams must end at
exactly the last acknowledged total. Prometheus must see no counter reset over the whole run.
"""

import json
import math
import random
import subprocess
import threading
import time
from collections import defaultdict

import httpx
import pytest
import yaml
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from tests.collector.payloads import load_payloads
from tests.collector.sdk_workload import CUMULATIVE, DELTA
from tests.collector.test_collector_restart import aa_command
from tests.support import loopback
from tests.support.net import free_port, wait_http_ok
from tests.support.processes import ServiceProcess
from tests.support.prometheus import Prometheus
from tests.support.scrape import parse

pytestmark = [pytest.mark.prometheus, pytest.mark.long]

KILLS = 20
SEED = 20261201


class Collector(ServiceProcess):
    def __init__(self, data_dir, config, ports):
        self.args = [
            *aa_command(),
            "collector",
            "--config",
            str(config),
            "--data-dir",
            str(data_dir),
            "--grpc-port",
            str(ports[0]),
            "--http-port",
            str(ports[1]),
            "--metrics-port",
            str(ports[2]),
            "--json",
        ]
        self.metrics_url = f"http://127.0.0.1:{ports[2]}/metrics"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line, f"collector did not start: {self.proc.stderr.read()}"
        json.loads(line)
        wait_http_ok(self.metrics_url.replace("/metrics", "/healthz"))


class Recording(MetricExporter):
    """An SDK exporter that notes, for each export, whether the collector acknowledged it."""

    def __init__(self, inner, temporality):
        super().__init__(preferred_temporality=temporality)
        self.inner = inner
        self.outcomes: list[tuple[bool, dict]] = []  # (acknowledged, {(name, attributes): value})

    def export(self, metrics_data, timeout_millis: float = 10_000, **kwargs) -> MetricExportResult:
        values = {}
        for rm in metrics_data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    for point in metric.data.data_points:
                        values[(metric.name, frozenset(point.attributes.items()))] = point.value
        result = self.inner.export(metrics_data, timeout_millis=timeout_millis)
        self.outcomes.append((result is MetricExportResult.SUCCESS, values))
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs) -> None:
        self.inner.shutdown()


def sdk_clients(ports):
    grpc_target, http_url = f"127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}/v1/metrics"
    # a short timeout: an export cut by the kill fails instead of being retried after the restart
    made = {
        "grpc-delta": (GrpcExporter(endpoint=grpc_target, insecure=True, timeout=0.5), DELTA),
        "grpc-cumulative": (GrpcExporter(endpoint=grpc_target, insecure=True, timeout=0.5), CUMULATIVE),
        "http-delta": (HttpExporter(endpoint=http_url, timeout=0.5), DELTA),
        "http-cumulative": (HttpExporter(endpoint=http_url, timeout=0.5), CUMULATIVE),
    }
    clients = {}
    for name, (inner, temporality) in made.items():
        exporter = Recording(inner, temporality)
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        provider = MeterProvider([reader], resource=Resource.create({"service.name": name}))
        counter = provider.get_meter("kill").create_counter("app.cost", unit="USD")
        clients[name] = (provider, reader, exporter, counter)
    return clients


def run_sdk_client(name, client, stop: threading.Event, added: dict) -> None:
    provider, reader, _, counter = client
    rounds = 0
    while not stop.is_set():
        rounds += 1
        value = 0.25 * (rounds % 7 + 1)
        if name.endswith("delta"):
            counter.add(value, {"client": name, "round": str(rounds)})  # one series per round
        else:
            counter.add(value, {"client": name})
        added[name] += value
        reader.force_flush(timeout_millis=5_000)
        time.sleep(0.1)


def run_payload_sender(number, http_url, bodies, stop: threading.Event, outcomes: list) -> None:
    i = 0
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            body, expected = bodies[i % len(bodies)]
            developer = f"sender{number}-{i}"
            i += 1
            try:
                response = client.post(
                    http_url,
                    content=body,
                    headers={"Content-Type": "application/x-protobuf", "x-developer-id": developer},
                )
                outcome = "acknowledged" if response.status_code == 200 else "refused"
            except httpx.ConnectError:
                outcome = "refused"
                time.sleep(0.02)
            except httpx.HTTPError:
                outcome = "cut"
            outcomes.append((developer, outcome, expected))
            time.sleep(0.05)  # the page holds a series set per request: keep it a size scraped in a second


def payload_totals(request) -> dict[str, float]:
    totals = defaultdict(float)
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name in ("claude_code.cost.usage", "claude_code.token.usage"):
                    for point in metric.sum.data_points:
                        totals[metric.name] += point.as_double or point.as_int
    return dict(totals)


def by_developer(samples) -> dict[str, dict[str, float]]:
    names = {"claude_code_cost_usage_USD_total": "claude_code.cost.usage"}
    names["claude_code_token_usage_tokens_total"] = "claude_code.token.usage"
    out = defaultdict(lambda: defaultdict(float))
    for (name, labels), value in samples.items():
        if name in names:
            out[dict(labels)["developer_id"]][names[name]] += value
    return out


def test_sigkill_at_random_moments_loses_nothing_acknowledged_and_counts_nothing_twice(
    tmp_path, claude_fixtures, request
):
    ports = (free_port(), free_port(), free_port())
    config = tmp_path / "collector.yaml"
    # one series per request and per round: room for all of them
    config.write_text(yaml.safe_dump({"label_policy": {"metrics": {"cardinality_limit": 1_000_000}}}))
    collector = Collector(tmp_path / "data", config, ports)
    request.addfinalizer(collector.ensure_stopped)
    bodies = [(r.SerializeToString(), payload_totals(r)) for _, r in load_payloads(claude_fixtures, "metrics")]
    rng = random.Random(SEED)
    stop = threading.Event()
    added: dict[str, float] = defaultdict(float)
    outcomes: list = []

    with Prometheus({"collector": [f"127.0.0.1:{ports[2]}"]}, scrape_interval="1s") as prometheus:
        collector.start()
        clients = sdk_clients(ports)
        threads = [
            threading.Thread(target=run_sdk_client, args=(name, client, stop, added))
            for name, client in clients.items()
        ]
        threads += [
            threading.Thread(
                target=run_payload_sender, args=(n, f"http://127.0.0.1:{ports[1]}/v1/metrics", bodies, stop, outcomes)
            )
            for n in range(2)
        ]
        collector.kill_under_load(threads, stop, KILLS, rng, pause=(0.1, 0.5), settle=0.5)
        # the cumulative clients' last totals, acknowledged with the collector up
        # (resending a cumulative total is harmless; a kept-alive connection of the killed process
        # may fail the first try)
        for name, (_, reader, exporter, _) in clients.items():
            for _ in range(5):
                reader.force_flush(timeout_millis=10_000)
                if exporter.outcomes[-1][0] or name.endswith("delta"):
                    break
            assert name.endswith("delta") or exporter.outcomes[-1][0], f"{name}: the final export failed"
        text = loopback.get(collector.metrics_url, timeout=10).text
        samples = parse(text).series("")
        try:
            prometheus.wait_for('sum(app_cost_USD_total{client="http-cumulative"})', added["http-cumulative"])
            resets = prometheus.scalar('sum(resets({__name__=~"(app|claude_code)_.+"}[10m]))')
            scrapes = prometheus.scalar('count_over_time(up{job="collector"}[10m])')
        finally:
            collector.stop()
            for provider, *_ in clients.values():
                provider.shutdown()

    # the recorded payloads: one series set per request
    exposed = by_developer(samples)
    counted = defaultdict(int)
    for developer, outcome, expected in outcomes:
        got = exposed.get(developer)
        if outcome == "refused":
            assert got is None, f"{developer} was refused before it was sent, yet counted"
            continue
        if got is None and outcome == "cut":
            counted["cut, not counted"] += 1
            continue
        assert got is not None, f"{developer} was acknowledged but is not on /metrics"
        assert got.keys() == expected.keys()
        for name, value in expected.items():
            assert math.isclose(got[name], value, rel_tol=1e-12), (developer, name, got[name], value)
        counted[outcome] += 1
    assert set(exposed) <= {d for d, _, _ in outcomes}

    # the SDK's delta rounds: acknowledged exactly once; failed exports absent or whole
    for name in ("grpc-delta", "http-delta"):
        _, _, exporter, _ = clients[name]
        for acknowledged, values in exporter.outcomes:
            for (_, attributes), value in values.items():
                key = ("app_cost_USD_total", frozenset(dict(attributes).items()))
                if acknowledged:
                    assert samples.get(key) == value, (name, attributes, samples.get(key), value)
                else:
                    assert samples.get(key) in (None, value), (name, attributes, samples.get(key), value)
        acknowledged_total = sum(sum(v.values()) for ok, v in exporter.outcomes if ok)
        assert acknowledged_total > 0
    # the cumulative clients: exactly their last acknowledged totals
    for name in ("grpc-cumulative", "http-cumulative"):
        assert samples[("app_cost_USD_total", frozenset({"client": name}.items()))] == added[name]

    assert counted["acknowledged"] > 100
    print(f"payload requests: {dict(counted)}; scrapes seen by prometheus: {scrapes}")
    assert resets == 0
