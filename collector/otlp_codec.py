"""OTLP request bodies in and responses out: protobuf or JSON, plain or gzip, size-limited."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from .metrics_wire import MetricsRequest

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

# signal -> (request type, response type)
SIGNALS: dict[str, tuple[type[Message], type[Message]]] = {
    "metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    "logs": (ExportLogsServiceRequest, ExportLogsServiceResponse),
    "traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
}
# signal -> the type a request is read as, when not the official one
READ_AS: dict[str, type[Message]] = {"metrics": MetricsRequest}


@dataclass
class RequestError(Exception):
    """A request that cannot be taken; `reason` is the rejected_total label."""

    http_status: int
    reason: str
    message: str

    def __str__(self) -> str:
        return self.message


def too_large(limit: int) -> RequestError:
    return RequestError(413, "too_large", f"request larger than {limit} bytes")


def media_type(content_type: str | None) -> str:
    """PROTOBUF or JSON for a Content-Type header; RequestError(415) otherwise."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in (PROTOBUF, "application/protobuf"):
        return PROTOBUF
    if base == JSON:
        return JSON
    raise RequestError(415, "unsupported_media_type", f"unsupported content type {base!r}: use {PROTOBUF} or {JSON}")


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body without its Content-Encoding; never inflates beyond `limit` (gzip bombs)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise RequestError(415, "unsupported_encoding", f"unsupported content encoding {encoding!r}: use gzip")
    inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as e:
        raise RequestError(400, "malformed", f"bad {encoding} body: {e}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise too_large(limit)
    if not inflater.eof:
        raise RequestError(400, "malformed", f"truncated {encoding} body")
    return out


# OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping expects base64 for bytes.
_HEX_ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _hex_ids_to_base64(node: object) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _HEX_ID_KEYS and isinstance(value, str):
                try:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    raise RequestError(400, "malformed", f"{key} is not hex") from None
            elif isinstance(value, dict | list):
                _hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids_to_base64(item)


def decode(signal: str, body: bytes, kind: str) -> Message:
    """The export request of `signal` in `body` (PROTOBUF or JSON); RequestError(400) if malformed."""
    request_type = SIGNALS[signal][0]
    read_as = READ_AS.get(signal, request_type)
    if kind == PROTOBUF:
        try:
            return read_as.FromString(body)
        except DecodeError as e:
            raise RequestError(400, "malformed", f"cannot decode protobuf {request_type.__name__}: {e}") from None
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise RequestError(400, "malformed", f"expected a JSON object {request_type.__name__}")
        if signal != "metrics":
            _hex_ids_to_base64(data)
        request = json_format.ParseDict(data, request_type(), ignore_unknown_fields=True)
        return request if read_as is request_type else read_as.FromString(request.SerializeToString())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RequestError(400, "malformed", f"body is not JSON: {e}") from None
    except RecursionError:  # arrays or objects nested deeper than any OTLP request
        raise RequestError(400, "malformed", "JSON nested too deeply for an OTLP request") from None
    except json_format.ParseError as e:
        raise RequestError(400, "malformed", f"not an OTLP {request_type.__name__}: {str(e)[:200]}") from None


def encode_response(signal: str, kind: str, rejected: int = 0, message: str = "") -> bytes:
    """The standard success response, with partial success when some points were rejected."""
    response = SIGNALS[signal][1]()
    if rejected:
        partial = response.partial_success
        if signal == "metrics":
            partial.rejected_data_points = rejected
        elif signal == "logs":
            partial.rejected_log_records = rejected
        else:
            partial.rejected_spans = rejected
        partial.error_message = message
    if kind == JSON:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


def encode_error(error: RequestError, kind: str) -> bytes:
    """A google.rpc.Status body, as OTLP/HTTP prescribes for failures."""
    grpc_code = {400: 3, 401: 16, 413: 8, 415: 3}.get(error.http_status, 13)
    status = status_pb2.Status(code=grpc_code, message=error.message)
    if kind == JSON:
        return json_format.MessageToJson(status, indent=None).encode()
    return status.SerializeToString()
