"""OTLP/gRPC receiver: the three Export methods, taking raw bytes so that a malformed message is
answered INVALID_ARGUMENT with a reason (grpcio's own deserialisation would answer INTERNAL)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import grpc

from agent_analytics.wire.serving import bind_grpc

from . import otlp_codec
from .otlp_codec import RequestError
from .receiver import Receiver

log = logging.getLogger(__name__)

SERVICES = {
    "opentelemetry.proto.collector.metrics.v1.MetricsService": "metrics",
    "opentelemetry.proto.collector.logs.v1.LogsService": "logs",
    "opentelemetry.proto.collector.trace.v1.TraceService": "traces",
}
_STATUS = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    415: grpc.StatusCode.INVALID_ARGUMENT,
}
# Requests handled at once.
WORKERS = 8


def _handler(receiver: Receiver, signal: str):
    def export(body: bytes, context: grpc.ServicerContext) -> bytes:
        metadata = {key.lower(): value for key, value in context.invocation_metadata() if isinstance(value, str)}
        try:
            receiver.authorize(metadata.get("authorization"))
            return receiver.export(signal, body, otlp_codec.PROTOBUF, metadata.get)
        except RequestError as e:
            receiver.reject(e)
            context.abort(_STATUS.get(e.http_status, grpc.StatusCode.INTERNAL), e.message)
        except Exception:  # a bug must cost one request, never the receiver
            log.exception("OTLP/gRPC %s request failed", signal)
            receiver.reject(RequestError(500, "internal", "internal error"))
            context.abort(grpc.StatusCode.INTERNAL, "internal error; see the collector log")

    # No (de)serialisers: the handler gets and returns bytes.
    return grpc.unary_unary_rpc_method_handler(export)


def build_server(receiver: Receiver, host: str, port: int, fix: str, workers: int = WORKERS) -> tuple[grpc.Server, int]:
    """A started-later gRPC server bound to host:port; returns it and the port bound. `fix` says
    what to do when the port is busy."""
    limit = receiver.max_request_bytes
    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aa-grpc"),
        options=[("grpc.max_receive_message_length", limit), ("grpc.so_reuseport", 0)],
    )
    for service, signal in SERVICES.items():
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, {"Export": _handler(receiver, signal)}),)
        )
    return server, bind_grpc(server, host, port, "collector OTLP/gRPC", fix)
