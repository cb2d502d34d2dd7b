"""Scale-out as docs/scaling.md describes it: a first tier (collector/otelcol.loadbalancer.yaml) in front
of two gateways (collector/otelcol.yaml), all on loopback, a real Prometheus scraping both
gateways; 50 developers with concurrent sessions, half delta and half cumulative."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from tests.support.otelcol import LOADBALANCER_CONFIG
from tests.support.prometheus import Prometheus

DEVELOPERS = [f"dev-{d:02d}" for d in range(50)]
ROUNDS = 3
COST = "claude_code_cost_usage_USD_total"


def sessions_of(index: int) -> list[str]:
    return [f"{DEVELOPERS[index]}-s{k}" for k in range(2 + index % 2)]


def cost(index: int, session: int, round_: int) -> float:
    return (index * 7 + session * 3 + round_ + 1) / 64  # exact in binary: totals compare exactly


def request_for(developer: str, session: str, value: float, start: int, now: int, cumulative: bool) -> bytes:
    request = ExportMetricsServiceRequest()
    resource = request.resource_metrics.add()
    attribute = resource.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", "claude-code"
    metric = resource.scope_metrics.add().metrics.add()
    metric.name, metric.unit = "claude_code.cost.usage", "USD"
    metric.sum.is_monotonic = True
    metric.sum.aggregation_temporality = (
        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
        if cumulative
        else AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
    )
    point = metric.sum.data_points.add()
    point.start_time_unix_nano, point.time_unix_nano, point.as_double = start, now, value
    for key, text in (("user.id", developer), ("session.id", session), ("model", "claude-opus-4-8[1m]")):
        kv = point.attributes.add()
        kv.key, kv.value.string_value = key, text
    return request.SerializeToString()


@pytest.mark.prometheus
def test_fifty_developers_through_a_load_balancing_tier_keep_true_totals_and_one_gateway_each(start_otelcol):
    gateways = [start_otelcol(), start_otelcol()]
    first_tier = start_otelcol(
        configs=[LOADBALANCER_CONFIG],
        prometheus=False,
        overrides={},
        env={"GATEWAY_1": gateways[0].endpoints["otlp_grpc"], "GATEWAY_2": gateways[1].endpoints["otlp_grpc"]},
    )
    url = f"{first_tier.endpoints['otlp_http']}/v1/metrics"
    truth = {d: 0.0 for d in DEVELOPERS}
    started = {s: time.time_ns() for i in range(len(DEVELOPERS)) for s in sessions_of(i)}
    last = dict(started)
    running = dict.fromkeys(started, 0.0)
    client = httpx.Client(timeout=10)

    def send(body: bytes) -> None:
        response = client.post(url, content=body, headers={"Content-Type": "application/x-protobuf"})
        assert response.status_code == 200, response.text

    with ThreadPoolExecutor(8) as pool:
        for round_ in range(ROUNDS):
            bodies = []
            for index, developer in enumerate(DEVELOPERS):
                cumulative = index % 2 == 1
                for k, session in enumerate(sessions_of(index)):
                    value, now = cost(index, k, round_), time.time_ns()
                    truth[developer] += value
                    running[session] += value
                    start = started[session] if cumulative else last[session]
                    sent = running[session] if cumulative else value
                    bodies.append(request_for(developer, session, sent, start, now, cumulative))
                    last[session] = now
            list(pool.map(send, bodies))  # a round's requests concurrently, rounds in order
    client.close()

    targets = {f"gateway-{n}": [f"127.0.0.1:{g.metrics_port}"] for n, g in enumerate(gateways, 1)}
    with Prometheus(targets) as prometheus:
        prometheus.wait_targets_up()
        total = sum(truth.values())
        prometheus.wait_for(f"sum({COST})", total, tol=1e-12)
        per_developer = {
            r["metric"]["user_id"]: float(r["value"][1]) for r in prometheus.query(f"sum by (user_id) ({COST})")
        }
        assert per_developer == truth
        # each developer's series lives on one gateway only, and both gateways carry developers
        placements = prometheus.query(f"count by (user_id) (count by (user_id, job) ({COST}))")
        assert len(placements) == 50 and {r["value"][1] for r in placements} == {"1"}
        load = {r["metric"]["job"]: int(r["value"][1]) for r in prometheus.query(f"count by (job) ({COST})")}
        assert set(load) == {"gateway-1", "gateway-2"} and sum(load.values()) == 50
    assert first_tier.self_metric("otelcol_exporter_send_failed_metric_points_total") == 0
