"""An OTLP metrics request turned into the points the collector accepts, with the label policy
applied: plain tuples, so they can be written to the write-ahead log as they are and folded
into the totals the same way live and on replay.

A batch is (received at, unix s; metrics), each metric
(name, description, unit, kind, monotonic, cumulative, points) and each point
(labels, stream, start_time_unix_nano, value). `stream` identifies a cumulative stream
(resource attributes and the point's own attributes, both sorted, before the policy drops
any); it is None for deltas and gauges. A histogram value is (bounds, bucket counts, sum, count).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from math import isfinite
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2

from .label_policy import LabelPolicy
from .metrics_wire import MetricsRequest
from .otlp_codec import RequestError

SUM, GAUGE, HISTOGRAM = "sum", "gauge", "histogram"
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE

Labels = tuple[tuple[str, str], ...]

# encoded KeyValue -> (key, label text); emptied when it reaches PAIRS_KEPT entries
_pairs: dict[bytes, tuple[str, str]] = {}
PAIRS_KEPT = 50_000


def attribute_text(value: Any) -> str:
    """An OTLP AnyValue as label text, the way the SDK's Prometheus exporter writes values:
    strings as they are, everything else as JSON."""
    which = value.WhichOneof("value")
    if which is None or which == "string_value":
        return value.string_value
    return json.dumps(plain_value(value), separators=(",", ":"))


def plain_value(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [plain_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: plain_value(kv.value) for kv in value.kvlist_value.values}
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which) if which else None


def attribute_pair(encoded: bytes) -> tuple[str, str]:
    """(key, label text) of an encoded KeyValue (see metrics_wire), decoded once per distinct
    encoding; RequestError(400) when it is not one."""
    pair = _pairs.get(encoded)
    if pair is None:
        try:
            kv = KeyValue.FromString(encoded)
        except DecodeError as e:
            raise RequestError(400, "malformed", f"cannot decode an attribute: {e}") from None
        pair = (kv.key, kv.value.string_value or attribute_text(kv.value))
        if len(_pairs) >= PAIRS_KEPT:
            _pairs.clear()
        _pairs[encoded] = pair
    return pair


def resource_identity(pairs: Iterable[tuple[str, str]], developer_attribute: str) -> tuple[str, bool]:
    """(the agent, its service.name; whether the resource names the developer) of a resource's
    (key, text) attribute pairs."""
    agent = ""
    has_developer = False
    for key, text in pairs:
        if key == "service.name":
            agent = text
        elif key == developer_attribute:
            has_developer = True
    return agent, has_developer


def _pairs_of(attributes: Iterable[bytes]) -> list[tuple[str, str]]:
    known = _pairs.get
    return [known(encoded) or attribute_pair(encoded) for encoded in attributes]


def _labels(
    policy: LabelPolicy, pairs: list[tuple[str, str]], header_developer: str | None, resource_labels: dict[str, str]
) -> Labels:
    drop = policy.drop_attributes
    rewrites = policy.rewrites
    developer_attribute = policy.developer_attribute
    items = []
    for pair in pairs:
        key = pair[0]
        if key in drop:
            continue
        if key in rewrites:
            pair = (key, rewrites[key](pair[1]))
        if key == developer_attribute:
            header_developer = None
        items.append(pair)
    if resource_labels:
        present = {key for key, _ in items}
        items.extend((key, text) for key, text in resource_labels.items() if key not in present)
    if header_developer:
        items.append((developer_attribute, header_developer))
    items.sort()
    return tuple(items)


def accept(
    request: Any, policy: LabelPolicy, developer_id: str | None = None, now: float | None = None
) -> tuple[tuple, dict[str, int], int, int]:
    """(batch, points per agent, points of unsupported types, points with values refused) of an
    ExportMetricsServiceRequest: a metrics_wire.MetricsRequest, or the official message."""
    if not isinstance(request, MetricsRequest):
        request = MetricsRequest.FromString(request.SerializeToString())
    metrics_out = []
    received: dict[str, int] = {}
    unsupported = refused = 0
    for rm in request.resource_metrics:
        resource = _pairs_of(rm.resource.attributes)
        agent, has_developer = resource_identity(resource, policy.developer_attribute)
        # the header only names the developer when the data does not
        header_developer = None if has_developer else developer_id
        # the resource attributes the policy copies onto this agent's points (who the developer
        # is, for an agent whose points name nobody)
        wanted = policy.resource_labels.get(agent, ())
        resource_labels = {key: text for key, text in resource if key in wanted}
        # OTLP attributes are a map: a sender may list them in any order, the stream is the same
        resource_key = tuple(sorted(resource))
        taken = 0
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                if kind not in (SUM, GAUGE, HISTOGRAM):
                    if kind is not None:
                        unsupported += len(getattr(metric, kind).data_points)
                    continue
                data = getattr(metric, kind)
                if not metric.name:
                    unsupported += len(data.data_points)
                    continue
                monotonic = data.is_monotonic if kind == SUM else kind == HISTOGRAM
                cumulative = kind != GAUGE and data.aggregation_temporality == CUMULATIVE
                checked = kind == SUM and monotonic
                points = []
                for point in data.data_points:
                    if kind == HISTOGRAM:
                        bounds = tuple(point.explicit_bounds)
                        counts = tuple(point.bucket_counts)
                        if len(counts) != len(bounds) + 1:
                            counts = (0,) * len(bounds) + (point.count,)  # no buckets sent: all in +Inf
                        value = (bounds, counts, point.sum, point.count)
                        number = point.sum
                    else:
                        number = value = point.as_double or point.as_int
                    if kind != GAUGE and (not isfinite(number) or (checked and number < 0)):
                        refused += 1
                        continue
                    pairs = _pairs_of(point.attributes)
                    stream = (resource_key, tuple(sorted(pairs))) if cumulative else None
                    labels = _labels(policy, pairs, header_developer, resource_labels)
                    points.append((labels, stream, point.start_time_unix_nano, value))
                if points:
                    taken += len(points)
                    metrics_out.append(
                        (metric.name, metric.description, metric.unit, kind, monotonic, cumulative, tuple(points))
                    )
        received[agent] = received.get(agent, 0) + taken
    batch = (time.time() if now is None else now, tuple(metrics_out))
    return batch, received, unsupported, refused
