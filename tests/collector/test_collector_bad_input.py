"""Bad requests are answered with the right status and a short reason, counted by reason, and
the collector keeps serving."""

import gzip

import grpc
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import MetricsServiceStub

from tests.support import loopback
from tests.support.scrape import scrape

LIMIT = 64 * 1024
TOKENS = ["alpha-token", "beta-token"]


@pytest.fixture
def recorded(claude_fixtures) -> bytes:
    return (claude_fixtures / "session-tools.metrics.pb").read_bytes()


@pytest.fixture
def service(start_collector):
    return start_collector(auth_tokens=TOKENS, max_request_bytes=LIMIT)


def post(service, body: bytes, content_type="application/x-protobuf", token="alpha-token", **headers):
    headers = {"Content-Type": content_type, **headers}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return loopback.post(f"{service.endpoints['otlp_http']}/v1/metrics", content=body, headers=headers, timeout=10)


def cost_total(service) -> float:
    return sum(v for (name, _), v in scrape(service).series().items() if name == "claude_code_cost_usage_USD_total")


def rejected(service) -> dict[str, float]:
    return {
        dict(labels)["reason"]: v
        for (name, labels), v in scrape(service).series().items()
        if name == "agent_analytics_collector_rejected_total"
    }


def test_http_bad_requests(service, recorded):
    assert post(service, recorded).status_code == 200
    assert cost_total(service) == pytest.approx(0.1215, abs=1e-12)

    truncated = post(service, recorded[: len(recorded) // 2])
    assert truncated.status_code == 400
    assert "cannot decode protobuf" in status_pb2.Status.FromString(truncated.content).message

    wrong_type = post(service, recorded, content_type="text/plain")
    assert wrong_type.status_code == 415

    bad_json = post(service, b'{"resourceMetrics": [', content_type="application/json")
    assert bad_json.status_code == 400
    assert bad_json.json()["message"].startswith("body is not JSON")
    not_otlp = post(service, b'{"resourceMetrics": 5}', content_type="application/json")
    assert not_otlp.status_code == 400

    oversized = post(service, b"\0" * (LIMIT + 1))
    assert oversized.status_code == 413
    # a small gzip body that inflates beyond the limit: refused without inflating it all
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    assert len(bomb) < LIMIT
    assert post(service, bomb, **{"Content-Encoding": "gzip"}).status_code == 413
    assert post(service, b"not gzip", **{"Content-Encoding": "gzip"}).status_code == 400

    missing = post(service, recorded, token=None)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert post(service, recorded, token="gamma-token").status_code == 401
    assert post(service, recorded, token="beta-token").status_code == 200

    assert loopback.get(f"{service.endpoints['otlp_http']}/v1/metrics").status_code == 405
    assert loopback.post(f"{service.endpoints['otlp_http']}/v2/other").status_code == 404

    # traces are accepted and dropped
    traces = loopback.post(
        f"{service.endpoints['otlp_http']}/v1/traces",
        content=b"",
        headers={"Content-Type": "application/x-protobuf", "Authorization": "Bearer alpha-token"},
    )
    assert traces.status_code == 200

    # still serving, nothing of the bad requests counted in the data
    assert post(service, recorded).status_code == 200
    assert cost_total(service) == pytest.approx(3 * 0.1215, abs=1e-12)
    assert rejected(service) == {
        "malformed": 4,
        "unsupported_media_type": 1,
        "too_large": 2,
        "unauthenticated": 2,
    }


def test_grpc_bad_requests(service, recorded):
    request = ExportMetricsServiceRequest.FromString(recorded)
    good = [("authorization", "Bearer beta-token")]
    with grpc.insecure_channel(service.endpoints["otlp_grpc"]) as channel:
        stub = MetricsServiceStub(channel)
        raw = channel.unary_unary(
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            request_serializer=None,
            response_deserializer=None,
        )

        def code_of(call) -> grpc.StatusCode:
            with pytest.raises(grpc.RpcError) as error:
                call()
            return error.value.code()

        assert code_of(lambda: stub.Export(request, timeout=10)) == grpc.StatusCode.UNAUTHENTICATED
        wrong = [("authorization", "Bearer nope")]
        assert code_of(lambda: stub.Export(request, metadata=wrong, timeout=10)) == grpc.StatusCode.UNAUTHENTICATED
        truncated = recorded[: len(recorded) // 2]
        assert code_of(lambda: raw(truncated, metadata=good, timeout=10)) == grpc.StatusCode.INVALID_ARGUMENT
        big = b"\n" + b"\xff\xff\x07" + b"\0" * (LIMIT + 10)
        assert code_of(lambda: raw(big, metadata=good, timeout=10)) == grpc.StatusCode.RESOURCE_EXHAUSTED

        stub.Export(request, metadata=good, timeout=10)

    # gzip on the wire, far beyond the limit once inflated
    bomb = ExportMetricsServiceRequest()
    bomb.resource_metrics.add().scope_metrics.add().metrics.add().name = "x" * (8 * 1024 * 1024)
    with grpc.insecure_channel(service.endpoints["otlp_grpc"], compression=grpc.Compression.Gzip) as channel:
        with pytest.raises(grpc.RpcError) as error:
            MetricsServiceStub(channel).Export(bomb, metadata=good, timeout=10)
        assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        MetricsServiceStub(channel).Export(request, metadata=good, timeout=10)
    assert cost_total(service) == pytest.approx(2 * 0.1215, abs=1e-12)
    assert rejected(service) == {"unauthenticated": 2, "malformed": 1}


def test_deeply_nested_json_is_a_bad_request_not_a_server_error(service, recorded):
    depth = 30_000  # 60 kB, under the size limit
    for signal, key in (("metrics", "resourceMetrics"), ("logs", "resourceLogs")):
        for body in (b"[" * depth + b"]" * depth, b'{"%s": ' % key.encode() + b"[" * depth + b"]" * depth + b"}"):
            answer = loopback.post(
                f"{service.endpoints['otlp_http']}/v1/{signal}",
                content=body,
                headers={"Content-Type": "application/json", "Authorization": "Bearer alpha-token"},
                timeout=10,
            )
            assert answer.status_code == 400, answer.text
            assert answer.json()["message"] == "JSON nested too deeply for an OTLP request"
    assert post(service, recorded).status_code == 200  # still serving
    assert rejected(service) == {"malformed": 4}
