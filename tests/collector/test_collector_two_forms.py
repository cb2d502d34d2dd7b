"""The team stack's collector (the built OpenTelemetry Collector with collector/otelcol.yaml) next to
the embedded one: its configs validate, three concurrent sessions of one developer (delta and
cumulative) give the same series and the true totals in a real Prometheus scraping both, events
reach Loki with the same attributes, and bearer-token auth refuses what it should."""

import math
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import MetricsServiceStub
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from tests.collector.payloads import load_payloads, series_diff
from tests.collector.sdk_workload import CUMULATIVE, DELTA
from tests.support import loopback
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.otelcol import AUTH_CONFIG, CONFIG, LOADBALANCER_CONFIG, require
from tests.support.prometheus import Prometheus
from tests.support.scrape import scrape

pytestmark = pytest.mark.long

COST = "claude_code_cost_usage_USD_total"
TOKENS = "claude_code_token_usage_tokens_total"


def test_otelcol_validates_the_team_configs(tmp_path):
    binary = require()
    plain = subprocess.run([binary, "validate", f"--config={CONFIG}"], capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    env = {"OTEL_BEARER_TOKEN": "t0ken"}
    both = [binary, "validate", f"--config={CONFIG}", f"--config={AUTH_CONFIG}"]
    combined = subprocess.run(both, capture_output=True, text=True, env=env)
    assert combined.returncode == 0, combined.stderr
    tier = subprocess.run([binary, "validate", f"--config={LOADBALANCER_CONFIG}"], capture_output=True, text=True)
    assert tier.returncode == 0, tier.stderr
    # the check can fail: a pipeline naming a processor that is not defined
    broken = tmp_path / "broken.yaml"
    broken.write_text(CONFIG.read_text().replace("[memory_limiter, attributes/developer, transform/ev", "[nope, tr"))
    refused = subprocess.run([binary, "validate", f"--config={broken}"], capture_output=True, text=True)
    assert refused.returncode != 0 and "nope" in refused.stderr


# Three sessions of one developer, each adding cost and tokens in rounds; flushed between rounds so
# cumulative streams are seen growing and Prometheus scrapes in between.
SESSIONS = ["s-1", "s-2", "s-3"]
ROUNDS = [
    {"s-1": (0.5, 100), "s-2": (0.25, 40)},
    {"s-1": (0.125, 10), "s-2": (1.0, 300), "s-3": (0.75, 90)},
    {"s-2": (0.0625, 5), "s-3": (2.0, 700)},
    {"s-1": (0.375, 60), "s-3": (0.5, 20)},
]
TRUE_COST = math.fsum(cost for r in ROUNDS for cost, _ in r.values())
TRUE_TOKENS = sum(tokens for r in ROUNDS for _, tokens in r.values())


def run_sessions(url: str, temporality: dict) -> None:
    """The workload from three SDK clients (one per session) to one collector, `temporality` each."""
    clients = {}
    for session in SESSIONS:
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=url, preferred_temporality=temporality), export_interval_millis=3_600_000
        )
        provider = MeterProvider([reader], resource=Resource.create({"service.name": "claude-code"}))
        meter = provider.get_meter("com.anthropic.claude_code")
        cost = meter.create_counter("claude_code.cost.usage", unit="USD")
        tokens = meter.create_counter("claude_code.token.usage", unit="tokens")
        clients[session] = (provider, reader, cost, tokens)
    try:
        for measurements in ROUNDS:
            for session, (cost_value, token_value) in measurements.items():
                _, reader, cost, tokens = clients[session]
                attributes = {"session.id": session, "user.id": "dev-1", "model": "claude-opus-4-8[1m]"}
                cost.add(cost_value, attributes)
                tokens.add(token_value, {**attributes, "type": "input"})
                assert reader.force_flush(timeout_millis=10_000)
            time.sleep(1.2)  # a scrape between rounds
    finally:
        for provider, *_ in clients.values():
            provider.shutdown()


@pytest.mark.prometheus
@pytest.mark.parametrize("temporality", ["delta", "cumulative"])
def test_three_sessions_of_one_developer_give_the_true_totals_in_both_forms(
    temporality, start_collector, start_otelcol
):
    forms = {"embedded": start_collector(), "otelcol": start_otelcol()}
    targets = {name: [f"127.0.0.1:{form.metrics_port}"] for name, form in forms.items()}
    with Prometheus(targets) as prometheus:
        prometheus.wait_targets_up()
        preference = DELTA if temporality == "delta" else CUMULATIVE
        with ThreadPoolExecutor(2) as pool:  # both forms at once: the rounds wait for scrapes
            runs = [
                pool.submit(run_sessions, f"{f.endpoints['otlp_http']}/v1/metrics", preference) for f in forms.values()
            ]
            for run in runs:
                run.result()
        pages = {name: scrape(form).series("claude_code_") for name, form in forms.items()}
        assert pages["otelcol"].keys() == pages["embedded"].keys(), series_diff(pages["otelcol"], pages["embedded"])
        labels = frozenset({"user_id": "dev-1", "model": "claude-opus-4-8"}.items())
        assert pages["embedded"] == {(COST, labels): TRUE_COST, (TOKENS, labels | {("type", "input")}): TRUE_TOKENS}
        for job in forms:
            prometheus.wait_for(f'sum({COST}{{job="{job}"}})', TRUE_COST, tol=1e-12)
            prometheus.wait_for(f'sum({TOKENS}{{job="{job}"}})', TRUE_TOKENS)
            # one stream per developer that only grows: no reset for Prometheus to count again
            assert prometheus.scalar(f'sum(resets({COST}{{job="{job}"}}[5m]))') == 0
            assert prometheus.scalar(f'count({COST}{{job="{job}"}})') == 1


def log_requests(claude_fixtures) -> list[ExportLogsServiceRequest]:
    return [request for _, request in load_payloads(claude_fixtures, "logs")]


def post_logs(collector, requests) -> None:
    for request in requests:
        response = loopback.post(
            f"{collector.endpoints['otlp_http']}/v1/logs",
            content=request.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
            timeout=10,
        )
        assert response.status_code == 200, response.text


def by_event(records) -> dict:
    return {(r["attributes"]["session.id"], r["attributes"]["event.sequence"]): r for r in records}


def test_events_reach_loki_with_the_same_attributes_in_both_forms(claude_fixtures, start_collector, start_otelcol):
    requests = log_requests(claude_fixtures)
    lokis = {name: LokiStandin().start() for name in ("embedded", "otelcol")}
    try:
        forms = {
            "embedded": start_collector(loki_url=lokis["embedded"].url),
            "otelcol": start_otelcol(loki_url=lokis["otelcol"].url),
        }
        for form in forms.values():
            post_logs(form, requests)
        for loki in lokis.values():
            wait_until(lambda loki=loki: loki.count() == 27, timeout=20, what="all events in Loki")
        embedded, real = (by_event(lokis[name].records) for name in ("embedded", "otelcol"))
    finally:
        for loki in lokis.values():
            loki.stop()
    assert len(real) == 27 and real.keys() == embedded.keys()
    # the one difference: the team collector also strips the context suffix from an event's model
    # (the dashboards filter events by the metrics' model names); the embedded one forwards it
    suffixed = [r for r in embedded.values() if r["attributes"].get("model", "").endswith("[1m]")]
    assert suffixed and not any(r["attributes"].get("model", "").endswith("]") for r in real.values())
    for record in suffixed:
        record["attributes"]["model"] = record["attributes"]["model"].removesuffix("[1m]")
    for key, record in real.items():
        mine, theirs = record["attributes"], embedded[key]["attributes"]
        diff = {k: (mine.get(k), theirs.get(k)) for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k)}
        assert record == embedded[key], f"{key}: otelcol vs embedded {diff}"
    assert not any({"prompt", "response"} & r["attributes"].keys() for r in real.values())
    assert math.isclose(math.fsum(r["attributes"].get("cost_usd", 0) for r in real.values()), 0.18225, abs_tol=1e-12)


def test_otelcol_retries_while_loki_is_down_and_delivers_once(claude_fixtures, start_otelcol):
    requests = log_requests(claude_fixtures)
    loki = LokiStandin()
    collector = start_otelcol(loki_url=loki.url)
    post_logs(collector, requests)
    # the first attempt fails (nothing listens); the records wait in the exporter's queue
    wait_until(
        lambda: collector.self_metric("otelcol_exporter_queue_size") > 0, timeout=15, what="records queued for Loki"
    )
    loki.start()
    try:
        wait_until(lambda: loki.count() == 27, timeout=40, what="queued events delivered")
        time.sleep(1)
        assert loki.count() == 27 and len(by_event(loki.records)) == 27
        assert collector.self_metric("otelcol_exporter_sent_log_records_total") == 27
    finally:
        loki.stop()


def test_bearer_token_auth_refuses_a_missing_or_wrong_token(claude_fixtures, start_otelcol):
    collector = start_otelcol(configs=[CONFIG, AUTH_CONFIG], env={"OTEL_BEARER_TOKEN": "right-token"})
    _, metrics = load_payloads(claude_fixtures, "metrics")[0]
    body = metrics.SerializeToString()
    url = f"{collector.endpoints['otlp_http']}/v1/metrics"
    headers = {"Content-Type": "application/x-protobuf"}
    for auth, status in ((None, 401), ("Bearer wrong", 401), ("Bearer right-token", 200)):
        sent = headers if auth is None else {**headers, "Authorization": auth}
        assert loopback.post(url, content=body, headers=sent, timeout=10).status_code == status, auth
    with grpc.insecure_channel(collector.endpoints["otlp_grpc"]) as channel:
        stub = MetricsServiceStub(channel)
        for metadata in ((), (("authorization", "Bearer wrong"),)):
            with pytest.raises(grpc.RpcError) as refused:
                stub.Export(metrics, timeout=10, metadata=metadata)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        stub.Export(metrics, timeout=10, metadata=(("authorization", "Bearer right-token"),))
    # what the accepted requests carried, once each (one HTTP, one gRPC)
    wait_until(lambda: scrape(collector).series(COST) != {}, timeout=10, what="accepted points exposed")
    points = sum(
        len(m.sum.data_points) for rm in metrics.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    )
    assert collector.self_metric("otelcol_receiver_accepted_metric_points_total") == 2 * points
