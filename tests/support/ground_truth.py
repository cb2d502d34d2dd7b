"""What the dashboards must show, computed straight from the recorded Claude Code payloads."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest


def bodies(folder: Path, signal: str) -> list[tuple[str, bytes, str]]:
    """(file name, body, content type) of every recorded OTLP/HTTP body of `signal`."""
    out = []
    for path in sorted(folder.glob(f"*.{signal}*")):
        content_type = "application/x-protobuf" if path.suffix == ".pb" else "application/json"
        out.append((path.name, path.read_bytes(), content_type))
    return out


def _parse(body: bytes, content_type: str, message_type):
    if content_type == "application/x-protobuf":
        return message_type.FromString(body)
    return json_format.Parse(body, message_type())


def _value(attribute) -> object:
    kind = attribute.value.WhichOneof("value")
    return getattr(attribute.value, kind)


def metric_points(folder: Path, name: str) -> list[tuple[dict, float]]:
    """(attributes, value) of every delta point of metric `name` in the recordings."""
    out = []
    for _, body, content_type in bodies(folder, "metrics"):
        request = _parse(body, content_type, ExportMetricsServiceRequest)
        for rm in request.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name != name:
                        continue
                    for point in metric.sum.data_points:
                        value = point.as_double if point.HasField("as_double") else float(point.as_int)
                        out.append(({a.key: _value(a) for a in point.attributes}, value))
    return out


def total(folder: Path, name: str) -> float:
    return sum(v for _, v in metric_points(folder, name))


def total_by(folder: Path, name: str, attribute: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for attrs, value in metric_points(folder, name):
        key = str(attrs[attribute])
        if attribute == "model":  # the collector's normalisation: no [1m] context suffix
            key = re.sub(r"\[[^\]]*\]$", "", key)
        out[key] += value
    return dict(out)


def event_records(folder: Path) -> list[tuple[dict, dict]]:
    """(resource attributes, record attributes) of every recorded log record."""
    out = []
    for _, body, content_type in bodies(folder, "logs"):
        request = _parse(body, content_type, ExportLogsServiceRequest)
        for rl in request.resource_logs:
            resource = {a.key: _value(a) for a in rl.resource.attributes}
            for sl in rl.scope_logs:
                for record in sl.log_records:
                    out.append((resource, {a.key: _value(a) for a in record.attributes}))
    return out


def post(folder: Path, base_url: str, developer: str, signals: tuple[str, ...] = ("metrics", "logs")) -> None:
    """Send the recordings of `signals` to an OTLP/HTTP endpoint as the named developer."""
    from tests.support import loopback

    for signal in signals:
        for name, body, content_type in bodies(folder, signal):
            r = loopback.post(
                f"{base_url}/v1/{signal}",
                content=body,
                headers={"content-type": content_type, "x-developer-id": developer},
                timeout=10,
            )
            assert r.status_code == 200, f"{name}: {r.status_code} {r.text}"
