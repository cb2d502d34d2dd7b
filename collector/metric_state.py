"""Accumulated metric state: OTLP data points folded into totals per (metric, label set).

Delta sums add up; cumulative sums are turned into increments per stream (a stream is one
resource + one full attribute set; a new start time or, for monotonic sums, a lower value
is a reset). Gauges keep the last value. Histograms add bucket counts the same way.
The label policy is applied here, on the way in; Prometheus naming is applied when rendering.
"""

from __future__ import annotations

import json
import os
import threading
import time
from math import isfinite
from pathlib import Path
from typing import Any

from opentelemetry.proto.metrics.v1 import metrics_pb2

from .label_policy import LabelPolicy
from .self_metrics import SelfMetrics

SUM, GAUGE, HISTOGRAM = "sum", "gauge", "histogram"
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
# The label set of the overflow series, as the OpenTelemetry SDK names it.
OVERFLOW_LABELS: tuple[tuple[str, str], ...] = (("otel.metric.overflow", "true"),)
STATE_VERSION = 1

Labels = tuple[tuple[str, str], ...]


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


class Family:
    """One metric: its identity and its series (label set -> value)."""

    __slots__ = ("name", "description", "unit", "kind", "monotonic", "limit", "series")

    def __init__(self, name: str, description: str, unit: str, kind: str, monotonic: bool, limit: int):
        self.name = name
        self.description = description
        self.unit = unit
        self.kind = kind
        self.monotonic = monotonic
        self.limit = limit
        # sums and gauges: float; histograms: [bounds tuple, bucket counts list, sum, count]
        self.series: dict[Labels, Any] = {}


class MetricState:
    def __init__(self, policy: LabelPolicy, self_metrics: SelfMetrics, stream_ttl_seconds: float = 86400.0):
        self.policy = policy
        self.self_metrics = self_metrics
        self.stream_ttl_seconds = stream_ttl_seconds
        self.lock = threading.Lock()
        self.families: dict[str, Family] = {}
        # cumulative stream key -> [start_time_unix_nano, last value, last seen (unix s)]
        self.streams: dict[tuple, list] = {}

    # --- ingest (the hot path) ---------------------------------------------------------------

    def ingest(self, request: Any, developer_id: str | None = None) -> tuple[int, int]:
        """Fold an ExportMetricsServiceRequest into the state. Returns (accepted, rejected) points."""
        accepted = rejected = invalid = 0
        received: dict[str, int] = {}
        overflow: dict[str, int] = {}
        with self.lock:
            for rm in request.resource_metrics:
                agent = ""
                has_developer = False
                developer_attribute = self.policy.developer_attribute
                for kv in rm.resource.attributes:
                    if kv.key == "service.name":
                        agent = kv.value.string_value
                    elif kv.key == developer_attribute:
                        has_developer = True
                # The header only names the developer when the data does not.
                header_developer = None if has_developer else developer_id
                resource_labels = self._resource_labels(agent, rm.resource.attributes)
                resource_key = None
                points = 0
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        which = metric.WhichOneof("data")
                        if which == SUM:
                            data = metric.sum
                        elif which == GAUGE:
                            data = metric.gauge
                        elif which == HISTOGRAM:
                            data = metric.histogram
                        else:
                            if which is not None:
                                rejected += len(getattr(metric, which).data_points)
                            continue
                        family = self._family(metric, which, data)
                        if family is None:
                            rejected += len(data.data_points)
                            continue
                        cumulative = which != GAUGE and data.aggregation_temporality == CUMULATIVE
                        if cumulative and resource_key is None:
                            resource_key = tuple(
                                sorted((kv.key, attribute_text(kv.value)) for kv in rm.resource.attributes)
                            )
                        n, folded, refused = self._fold(
                            family, data.data_points, header_developer, cumulative, resource_key, resource_labels
                        )
                        points += n
                        invalid += refused
                        if folded:
                            overflow[family.name] = overflow.get(family.name, 0) + folded
                accepted += points
                received[agent] = received.get(agent, 0) + points
        for agent, n in received.items():
            self.self_metrics.add("agent_analytics_collector_received", n, "metrics", agent or "unknown")
        for name, n in overflow.items():
            self.self_metrics.add("agent_analytics_collector_overflow", n, name)
        if rejected:
            self.self_metrics.add("agent_analytics_collector_rejected", rejected, "unsupported_metric_type")
        if invalid:
            self.self_metrics.add("agent_analytics_collector_rejected", invalid, "invalid_value")
        return accepted, rejected + invalid

    def _family(self, metric: Any, kind: str, data: Any) -> Family | None:
        family = self.families.get(metric.name)
        if family is None:
            if not metric.name:
                return None
            monotonic = data.is_monotonic if kind == SUM else kind == HISTOGRAM
            family = Family(
                metric.name, metric.description, metric.unit, kind, monotonic, self.policy.limit_for(metric.name)
            )
            self.families[metric.name] = family
        elif family.kind != kind:
            return None  # one name, one type: Prometheus could not tell them apart
        return family

    def _resource_labels(self, agent: str, attributes: Any) -> dict[str, str]:
        wanted = self.policy.resource_labels.get(agent)
        if not wanted:
            return {}
        return {kv.key: attribute_text(kv.value) for kv in attributes if kv.key in wanted}

    def _labels(self, attributes: Any, header_developer: str | None, resource_labels: dict[str, str]) -> Labels:
        policy = self.policy
        drop = policy.drop_attributes
        rewrites = policy.rewrites
        developer_attribute = policy.developer_attribute
        items = []
        for kv in attributes:
            key = kv.key
            if key in drop:
                continue
            value = kv.value
            text = value.string_value or attribute_text(value)
            if key in rewrites:
                text = rewrites[key](text)
            if key == developer_attribute:
                header_developer = None
            items.append((key, text))
        if resource_labels:
            present = {key for key, _ in items}
            items.extend((key, text) for key, text in resource_labels.items() if key not in present)
        if header_developer:
            items.append((developer_attribute, header_developer))
        items.sort()
        return tuple(items)

    def _slot(self, family: Family, labels: Labels) -> tuple[Labels, int]:
        """The series key a new label set goes to, and 1 when it is folded into overflow."""
        if len(family.series) < family.limit:
            return labels, 0
        return OVERFLOW_LABELS, 1

    def _fold(
        self,
        family: Family,
        points: Any,
        header_developer: str | None,
        cumulative: bool,
        resource_key: tuple | None,
        resource_labels: dict[str, str],
    ) -> tuple[int, int, int]:
        """Fold the points of one metric; returns (points taken, points folded into overflow,
        points refused: a non-finite sum, a negative value of a monotonic sum)."""
        series = family.series
        kind = family.kind
        monotonic = family.monotonic and kind == SUM
        folded = refused = 0
        now = time.time()
        n = 0
        for point in points:
            value = point.sum if kind == HISTOGRAM else point.as_double or point.as_int
            if kind != GAUGE and (not isfinite(value) or (monotonic and value < 0)):
                refused += 1
                continue
            n += 1
            labels = self._labels(point.attributes, header_developer, resource_labels)
            if labels not in series:
                labels, over = self._slot(family, labels)
                folded += over
            if kind == HISTOGRAM:
                self._fold_histogram(family, labels, point, cumulative, resource_key, now)
                continue
            if kind == GAUGE:
                series[labels] = float(value)
                continue
            if cumulative:
                key = (family.name, resource_key, tuple((kv.key, attribute_text(kv.value)) for kv in point.attributes))
                previous = self.streams.get(key)
                start = point.start_time_unix_nano
                self.streams[key] = [start, value, now]
                if previous is not None and previous[0] == start and not (monotonic and value < previous[1]):
                    value -= previous[1]
            series[labels] = series.get(labels, 0.0) + value
        return n, folded, refused

    def _fold_histogram(
        self, family: Family, labels: Labels, point: Any, cumulative: bool, resource_key: tuple | None, now: float
    ) -> None:
        bounds = tuple(point.explicit_bounds)
        counts = list(point.bucket_counts)
        if len(counts) != len(bounds) + 1:
            counts = [0] * len(bounds) + [point.count]  # no buckets sent: everything in +Inf
        total, count = point.sum, point.count
        if cumulative:
            key = (family.name, resource_key, tuple((kv.key, attribute_text(kv.value)) for kv in point.attributes))
            previous = self.streams.get(key)
            start = point.start_time_unix_nano
            self.streams[key] = [start, [bounds, counts, total, count], now]
            if previous is not None and previous[0] == start and count >= previous[1][3] and previous[1][0] == bounds:
                before = previous[1]
                counts = [a - b for a, b in zip(counts, before[1], strict=True)]
                total -= before[2]
                count -= before[3]
        current = family.series.get(labels)
        if current is None or current[0] != bounds:
            # a new series, or the sender changed its buckets: start over with the new layout
            family.series[labels] = [bounds, counts, total, count]
            return
        current[1] = [a + b for a, b in zip(current[1], counts, strict=True)]
        current[2] += total
        current[3] += count

    # --- reading -----------------------------------------------------------------------------

    def copy_families(self) -> list[tuple[Family, dict[Labels, Any]]]:
        """A consistent copy of every family and its series, for rendering."""
        with self.lock:
            out = []
            for family in self.families.values():
                if family.kind == HISTOGRAM:
                    series = {k: [v[0], list(v[1]), v[2], v[3]] for k, v in family.series.items()}
                else:
                    series = dict(family.series)
                out.append((family, series))
            return out

    # --- persistence -------------------------------------------------------------------------

    def expire_streams(self) -> None:
        cutoff = time.time() - self.stream_ttl_seconds
        with self.lock:
            for key in [k for k, v in self.streams.items() if v[2] < cutoff]:
                del self.streams[key]

    def save(self, path: Path) -> None:
        """Write the state atomically (temporary file, fsync, rename)."""
        with self.lock:
            data = {
                "version": STATE_VERSION,
                "families": [
                    {
                        "name": f.name,
                        "description": f.description,
                        "unit": f.unit,
                        "kind": f.kind,
                        "monotonic": f.monotonic,
                        "series": [[list(map(list, labels)), value] for labels, value in f.series.items()],
                    }
                    for f in self.families.values()
                ],
                "streams": [[key[0], key[1], key[2], value] for key, value in self.streams.items()],
            }
            text = json.dumps(data, separators=(",", ":"))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def load(self, path: Path) -> bool:
        """Restore a state written by save(); False when there is none."""
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot read the metric state {path} ({e}): move it away to start from zero") from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(f"{path} is not a metric state this version can read: move it away to start from zero")
        pairs = lambda rows: tuple(tuple(row) for row in rows)  # noqa: E731 - JSON lists back to keys
        with self.lock:
            for entry in data["families"]:
                family = Family(
                    entry["name"],
                    entry["description"],
                    entry["unit"],
                    entry["kind"],
                    entry["monotonic"],
                    self.policy.limit_for(entry["name"]),
                )
                for labels, value in entry["series"]:
                    if family.kind == HISTOGRAM:
                        value = [tuple(value[0]), list(value[1]), value[2], value[3]]
                    family.series[pairs(labels)] = value
                self.families[family.name] = family
            for name, resource_key, point_key, value in data["streams"]:
                if isinstance(value[1], list):
                    value[1][0] = tuple(value[1][0])
                key = (name, pairs(resource_key) if resource_key is not None else None, pairs(point_key))
                self.streams[key] = value
        return True
