"""The recorded Claude Code payloads, replayed over OTLP/HTTP (protobuf, JSON, gzip) and OTLP/gRPC,
give exactly the series the OTel Collector's prometheus exporter gives; a real Prometheus
scraping the collector sums the cost to the cost of the api_request events. Both forms: the
embedded collector and the built OpenTelemetry Collector with collector/otelcol.yaml."""

import gzip
import math
import re
from collections import defaultdict

import grpc
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import MetricsServiceStub

from tests.collector.payloads import load_payloads, scrape_until, series_diff
from tests.support import loopback
from tests.support.otelcol import Otelcol
from tests.support.prometheus import Prometheus
from tests.support.scrape import scrape

# The series names of the shared contract (OTel naming translation), written out here so the
# test does not depend on the translation code it checks.
PROMETHEUS_NAMES = {
    "claude_code.session.count": "claude_code_session_count_total",
    "claude_code.cost.usage": "claude_code_cost_usage_USD_total",
    "claude_code.token.usage": "claude_code_token_usage_tokens_total",
    "claude_code.lines_of_code.count": "claude_code_lines_of_code_count_total",
    "claude_code.commit.count": "claude_code_commit_count_total",
    "claude_code.pull_request.count": "claude_code_pull_request_count_total",
    "claude_code.code_edit_tool.decision": "claude_code_code_edit_tool_decision_total",
    "claude_code.active_time.total": "claude_code_active_time_seconds_total",
}
DROPPED = {"session.id", "prompt.id", "user.account_uuid"}


def expected_series(requests) -> dict[tuple[str, frozenset], float]:
    """Series and values computed from the payloads: delta sums added up per label set, with
    the default label policy (drop session/prompt/account ids, model without its [..] suffix)."""
    totals: dict[tuple[str, frozenset], float] = defaultdict(float)
    for request in requests:
        data = json_format.MessageToDict(request)
        for rm in data["resourceMetrics"]:
            for sm in rm["scopeMetrics"]:
                for metric in sm["metrics"]:
                    assert metric["sum"]["aggregationTemporality"] == "AGGREGATION_TEMPORALITY_DELTA"
                    name = PROMETHEUS_NAMES[metric["name"]]
                    for point in metric["sum"]["dataPoints"]:
                        labels = {}
                        for attribute in point["attributes"]:
                            if attribute["key"] in DROPPED:
                                continue
                            value = attribute["value"]["stringValue"]
                            if attribute["key"] == "model":
                                value = re.sub(r"\[[^\]]*\]$", "", value)
                            labels[attribute["key"].replace(".", "_")] = value
                        value = point["asDouble"] if "asDouble" in point else float(point["asInt"])
                        totals[(name, frozenset(labels.items()))] += value
    return dict(totals)


def api_request_costs(log_requests) -> tuple[list[float], int]:
    """cost_usd of every api_request event, and the sum of their cost_usd_micros."""
    costs, micros = [], 0
    for request in log_requests:
        for rl in request.resource_logs:
            for sl in rl.scope_logs:
                for record in sl.log_records:
                    attributes = {kv.key: kv.value for kv in record.attributes}
                    if attributes["event.name"].string_value == "api_request":
                        costs.append(attributes["cost_usd"].double_value)
                        micros += attributes["cost_usd_micros"].int_value
    return costs, micros


def count_records(log_requests) -> int:
    return sum(len(sl.log_records) for r in log_requests for rl in r.resource_logs for sl in rl.scope_logs)


@pytest.fixture(scope="module")
def payloads(claude_fixtures):
    metrics = load_payloads(claude_fixtures, "metrics")
    logs = load_payloads(claude_fixtures, "logs")
    assert len(metrics) == 3 and len(logs) == 4
    return metrics, logs


def send_http(service, payloads, claude_fixtures, mode: str) -> None:
    metrics, logs = payloads
    base = service.endpoints["otlp_http"]
    for signal, items in (("metrics", metrics), ("logs", logs)):
        for name, request in items:
            headers = {}
            if mode == "json":
                # the recorded JSON bodies as they are; protobuf recordings converted to OTLP/JSON
                path = claude_fixtures / name
                body = path.read_bytes() if path.suffix == ".json" else json_format.MessageToJson(request).encode()
                headers["Content-Type"] = "application/json"
            else:
                body = request.SerializeToString()
                headers["Content-Type"] = "application/x-protobuf"
                if mode == "gzip":
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
            response = loopback.post(f"{base}/v1/{signal}", content=body, headers=headers, timeout=10)
            assert response.status_code == 200, response.text
            if mode == "json":
                assert response.headers["content-type"] == "application/json"
                # both are a full success in OTLP/JSON; the upstream receiver writes the empty field
                assert response.json() == ({"partialSuccess": {}} if isinstance(service, Otelcol) else {})
            else:
                assert response.headers["content-type"] == "application/x-protobuf"


def send_grpc(service, payloads) -> None:
    metrics, logs = payloads
    with grpc.insecure_channel(service.endpoints["otlp_grpc"]) as channel:
        for _, request in metrics:
            MetricsServiceStub(channel).Export(request, timeout=10)
        for _, request in logs:
            LogsServiceStub(channel).Export(request, timeout=10)


@pytest.mark.parametrize("transport", ["http-protobuf", "http-json", "http-gzip", "grpc"])
def test_replay_gives_the_expected_series(transport, payloads, claude_fixtures, start_form):
    service = start_form()
    if transport == "grpc":
        send_grpc(service, payloads)
    else:
        send_http(service, payloads, claude_fixtures, transport.removeprefix("http-"))

    expected = expected_series(request for _, request in payloads[0])
    got = scrape_until(service, "claude_code_", expected)
    assert got == expected, series_diff(got, expected)
    samples = scrape(service).series()
    assert ("claude_code_cost_usage_USD_total", frozenset()) not in samples
    points = sum(
        len(m.sum.data_points)
        for _, r in payloads[0]
        for rm in r.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    )
    records = count_records(request for _, request in payloads[1])
    if start_form.form == "otelcol":
        assert service.self_metric("otelcol_receiver_accepted_metric_points_total") == points
        assert service.self_metric("otelcol_receiver_accepted_log_records_total") == records
        return
    received = "agent_analytics_collector_received_total"
    assert samples[(received, frozenset({"signal": "metrics", "agent": "claude-code"}.items()))] == points
    assert samples[(received, frozenset({"signal": "logs", "agent": "claude-code"}.items()))] == records
    # without Loki the events land in the NDJSON files, all of them
    lines = service.config.events_dir / "events.ndjson"
    service.events.stop()
    assert len(lines.read_text().splitlines()) == records


@pytest.mark.prometheus
def test_prometheus_cost_equals_the_cost_of_api_request_events(payloads, claude_fixtures, start_form):
    service = start_form()
    send_http(service, payloads, claude_fixtures, "protobuf")
    costs, micros = api_request_costs(request for _, request in payloads[1])
    assert len(costs) == 9

    with Prometheus({"collector": [f"127.0.0.1:{service.metrics_port}"]}) as prometheus:
        prometheus.wait_targets_up()
        value = prometheus.wait_for("sum(claude_code_cost_usage_USD_total)", math.fsum(costs), tol=1e-12)
        # to the micro-dollar, the same integer as the events' cost_usd_micros
        assert round(value * 1_000_000) == micros == 182_250
        tokens = prometheus.scalar('sum(claude_code_token_usage_tokens_total{type="input"})')
        assert tokens == sum(
            v
            for (name, labels), v in expected_series(r for _, r in payloads[0]).items()
            if name == "claude_code_token_usage_tokens_total" and ("type", "input") in labels
        )
        models = {r["metric"]["model"] for r in prometheus.query("claude_code_token_usage_tokens_total")}
        assert models == {"claude-opus-4-8"}
