"""The label policy: per-session ids never become labels, model names are normalised, the
x-developer-id header names the developer when the data does not, and the cardinality limit
folds extra series into one overflow series and counts the folded points."""

import json

import grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import MetricsServiceStub

from tests.collector.payloads import load_payloads
from tests.support import loopback
from tests.support.scrape import scrape


def labels_of(samples: dict, name: str) -> list[dict]:
    return [dict(labels) for (n, labels) in samples if n == name]


def counter_request(name: str, points: list[tuple[dict, float]], resource: dict | None = None):
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    for key, value in (resource or {"service.name": "claude-code"}).items():
        attribute = rm.resource.attributes.add()
        attribute.key, attribute.value.string_value = key, value
    metric = rm.scope_metrics.add().metrics.add()
    metric.name = name
    metric.sum.aggregation_temporality = 1
    metric.sum.is_monotonic = True
    for attributes, value in points:
        point = metric.sum.data_points.add()
        point.as_double = value
        for key, text in attributes.items():
            attribute = point.attributes.add()
            attribute.key, attribute.value.string_value = key, text
    return request


def post(service, request, **headers) -> None:
    response = loopback.post(
        f"{service.endpoints['otlp_http']}/v1/metrics",
        content=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf", **headers},
    )
    assert response.status_code == 200


def test_default_policy_on_the_recorded_payloads(start_collector, claude_fixtures):
    service = start_collector()
    requests = load_payloads(claude_fixtures, "metrics")
    raw = {
        kv.key
        for _, r in requests
        for rm in r.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        for p in m.sum.data_points
        for kv in p.attributes
    }
    assert "session.id" in raw  # the payloads do carry it
    raw_models = {
        kv.value.string_value
        for _, r in requests
        for rm in r.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        for p in m.sum.data_points
        for kv in p.attributes
        if kv.key == "model"
    }
    assert "claude-opus-4-8[1m]" in raw_models
    for _, request in requests:
        post(service, request, **{"x-developer-id": "ana@example.com"})

    samples = scrape(service).series()
    series = [labels for (name, labels) in samples if name.startswith("claude_code_")]
    names = {key for labels in series for key, _ in labels}
    assert not names & {"session_id", "prompt_id", "user_account_uuid"}
    assert {"team_id", "cost_center", "user_id", "terminal_type", "developer_id"} <= names
    assert {dict(labels)["developer_id"] for labels in series} == {"ana@example.com"}
    models = {dict(labels).get("model") for labels in series} - {None}
    assert models == {"claude-opus-4-8"}


def test_developer_header_never_overrides_the_data(start_collector):
    service = start_collector()
    post(service, counter_request("x.count", [({"developer.id": "bob@example.com"}, 1.0)]), **{"x-developer-id": "h"})
    post(
        service,
        counter_request("y.count", [({}, 2.0)], {"service.name": "gemini-cli", "developer.id": "carol@example.com"}),
        **{"x-developer-id": "h"},
    )
    with grpc.insecure_channel(service.endpoints["otlp_grpc"]) as channel:
        MetricsServiceStub(channel).Export(
            counter_request("z.count", [({}, 3.0)]), metadata=[("x-developer-id", "dave@example.com")], timeout=10
        )
    samples = scrape(service).series()
    assert samples[("x_count_total", frozenset({"developer_id": "bob@example.com"}.items()))] == 1.0
    # a developer.id resource attribute is the data's own answer: no label from the header
    assert samples[("y_count_total", frozenset())] == 2.0
    assert samples[("z_count_total", frozenset({"developer_id": "dave@example.com"}.items()))] == 3.0


def test_cardinality_limit_folds_and_counts(start_collector):
    service = start_collector(label_policy={"metrics": {"cardinality_limits": {"claude_code.token.usage": 3}}})
    points = [({"type": "input", "model": f"m{i}"}, float(i + 1)) for i in range(5)]
    post(service, counter_request("claude_code.token.usage", points))
    post(service, counter_request("claude_code.token.usage", [({"type": "input", "model": "m4"}, 10.0)]))
    post(service, counter_request("claude_code.session.count", [({"model": f"m{i}"}, 1.0) for i in range(5)]))

    samples = scrape(service).series()
    tokens = {frozenset(labels): v for (name, labels), v in samples.items() if name == "claude_code_token_usage_total"}
    assert tokens == {
        frozenset({"type": "input", "model": "m0"}.items()): 1.0,
        frozenset({"type": "input", "model": "m1"}.items()): 2.0,
        frozenset({"type": "input", "model": "m2"}.items()): 3.0,
        frozenset({"otel_metric_overflow": "true"}.items()): 4.0 + 5.0 + 10.0,
    }
    overflow = "agent_analytics_collector_overflow_total"
    assert samples[(overflow, frozenset({"metric": "claude_code.token.usage"}.items()))] == 3
    assert len(labels_of(samples, "claude_code_session_count_total")) == 5  # default limit 5000
    assert (overflow, frozenset({"metric": "claude_code.session.count"}.items())) not in samples


def test_policy_overrides_from_config(start_collector):
    service = start_collector(
        label_policy={
            "metrics": {
                "drop_attributes": ["session.id", "user.id"],
                "rewrite_values": {"model": [{"pattern": "^claude-", "replace": ""}]},
            }
        }
    )
    post(service, counter_request("c", [({"user.id": "u", "session.id": "s", "model": "claude-x[1m]"}, 1.0)]))
    assert scrape(service).series()[("c_total", frozenset({"model": "x[1m]"}.items()))] == 1.0


def test_events_lose_content_and_gain_the_developer_in_ndjson(start_collector, claude_fixtures):
    service = start_collector()
    with grpc.insecure_channel(service.endpoints["otlp_grpc"]) as channel:
        for _, request in load_payloads(claude_fixtures, "logs"):
            LogsServiceStub(channel).Export(request, metadata=[("x-developer-id", "ana@example.com")], timeout=10)
    service.stop()
    events = [json.loads(line) for line in (service.config.events_dir / "events.ndjson").read_text().splitlines()]
    assert len(events) == 27
    assert all(not {"prompt", "response"} & set(e["attributes"]) for e in events)
    assert {e["resource"]["developer.id"] for e in events} == {"ana@example.com"}
    assert {e["attributes"]["event.name"] for e in events} >= {"api_request", "user_prompt", "tool_result"}
    assert all("session.id" in e["attributes"] for e in events)
    api = [e for e in events if e["attributes"]["event.name"] == "api_request"]
    assert sum(e["attributes"]["cost_usd_micros"] for e in api) == 182_250
    assert api[0]["time"].endswith("Z") and api[0]["service_name"] == "claude-code"


def test_event_files_rotate_by_size_and_keep_a_bounded_number(start_collector, claude_fixtures):
    service = start_collector(events_file_max_bytes=6000, events_file_count=3)
    payloads = load_payloads(claude_fixtures, "logs")
    with grpc.insecure_channel(service.endpoints["otlp_grpc"]) as channel:
        for _ in range(5):
            for _, request in payloads:
                LogsServiceStub(channel).Export(request, timeout=10)
    service.stop()
    names = sorted(p.name for p in service.config.events_dir.iterdir())
    assert names == ["events.1.ndjson", "events.2.ndjson", "events.ndjson"]
    lines = [line for name in names for line in (service.config.events_dir / name).read_text().splitlines()]
    assert 0 < len(lines) < 5 * 27  # the oldest files were dropped
    assert all((service.config.events_dir / name).stat().st_size <= 6000 for name in names)
    assert all(json.loads(line)["service_name"] == "claude-code" for line in lines)
