"""/metrics: the accumulated state rendered through the OpenTelemetry SDK's Prometheus reader,
so series names, unit suffixes and label names follow the SDK's (and the OTel Collector's)
translation: claude_code.cost.usage + unit USD -> claude_code_cost_usage_USD_total."""

from __future__ import annotations

import functools
import logging
import threading
import time

from opentelemetry.exporter.prometheus import PrometheusMetricReader

# The exporter's own name and label translation, to tell in advance what it will write.
from opentelemetry.exporter.prometheus._mapping import map_unit, sanitize_attribute, sanitize_full_name
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .metric_state import GAUGE, HISTOGRAM, MetricState
from .self_metrics import DEFINITIONS, SelfMetrics

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
_SCOPE = InstrumentationScope("agent_analytics.collector")
_warned: set[str] = set()


@functools.lru_cache(maxsize=65536)
def _usable_label(key: str, histogram: bool) -> bool:
    """Whether an attribute key gives a label Prometheus accepts: not empty once sanitised, not
    reserved (`__...`), and not the `le` of histogram buckets. Anything else would make the
    whole page unreadable for Prometheus."""
    label = sanitize_attribute(key)
    return bool(label) and not label.startswith("__") and not (histogram and label == "le")


def _attributes(labels, histogram: bool = False) -> dict[str, str]:
    return {k: v for k, v in labels if _usable_label(k, histogram)}


def _family_name(name: str, unit: str, kind: str, monotonic: bool) -> str:
    """The name of the Prometheus family the SDK's exporter writes for this metric."""
    family = sanitize_full_name(name)
    if kind != HISTOGRAM and kind != GAUGE and monotonic and family.endswith("_total"):
        family = family[: -len("_total")]
    unit = map_unit(unit)
    if unit and not family.endswith("_" + unit):
        family += "_" + unit
    return family


def _sum_or_gauge(name, description, unit, kind, monotonic, rows, now) -> Metric:
    points = [
        NumberDataPoint(attributes=_attributes(labels), start_time_unix_nano=0, time_unix_nano=now, value=value)
        for labels, value in rows
    ]
    if kind == GAUGE:
        data = Gauge(data_points=points)
    else:
        data = Sum(
            data_points=points, aggregation_temporality=AggregationTemporality.CUMULATIVE, is_monotonic=monotonic
        )
    return Metric(name=name, description=description, unit=unit, data=data)


def _histogram(name, description, unit, rows, now) -> Metric:
    points = [
        HistogramDataPoint(
            attributes=_attributes(labels, histogram=True),
            start_time_unix_nano=0,
            time_unix_nano=now,
            count=count,
            sum=total,
            bucket_counts=counts,
            explicit_bounds=bounds,
            min=float("nan"),
            max=float("nan"),
        )
        for labels, (bounds, counts, total, count) in rows
    ]
    return Metric(
        name=name,
        description=description,
        unit=unit,
        data=Histogram(data_points=points, aggregation_temporality=AggregationTemporality.CUMULATIVE),
    )


def metrics_data(state: MetricState, self_metrics: SelfMetrics) -> MetricsData:
    """The state and the self-metrics as the SDK's MetricsData (cumulative, one scope)."""
    now = time.time_ns()
    metrics = []
    taken: dict[str, str] = {}
    for family, series in state.copy_families():
        # two OTLP names that translate to one Prometheus name would give a page with two TYPE
        # lines for it, which Prometheus refuses as a whole: the first one keeps the name
        exported = _family_name(family.name, family.unit, family.kind, family.monotonic)
        if taken.setdefault(exported, family.name) != family.name:
            if family.name not in _warned:
                _warned.add(family.name)
                log.warning(
                    "metric %r left out of /metrics: %r has its name %s", family.name, taken[exported], exported
                )
            continue
        rows = list(series.items())
        if family.kind == HISTOGRAM:
            metrics.append(_histogram(family.name, family.description, family.unit, rows, now))
        else:
            metrics.append(
                _sum_or_gauge(family.name, family.description, family.unit, family.kind, family.monotonic, rows, now)
            )
    values = self_metrics.snapshot()
    for name, (description, label_names, counter) in DEFINITIONS.items():
        rows = [(tuple(zip(label_names, labels, strict=True)), v) for labels, v in values.get(name, {}).items()]
        if not rows and label_names:
            continue
        rows = rows or [((), 0.0)]
        metrics.append(_sum_or_gauge(name, description, "", "sum" if counter else GAUGE, True, rows, now))
    return MetricsData(
        resource_metrics=[
            ResourceMetrics(
                resource=Resource({}),
                scope_metrics=[ScopeMetrics(scope=_SCOPE, metrics=metrics, schema_url="")],
                schema_url="",
            )
        ]
    )


class PrometheusRenderer:
    """Owns an SDK PrometheusMetricReader whose data source is the collector state."""

    def __init__(self, state: MetricState, self_metrics: SelfMetrics):
        self.registry = CollectorRegistry(auto_describe=False)
        # Resource and scope are the collector's, not the senders': no target_info, no otel_scope_* labels.
        self.reader = PrometheusMetricReader(disable_target_info=True, scope_info_enabled=False, registry=self.registry)
        # A reader normally asks its MeterProvider for data at each scrape; the SDK has no
        # instrument that takes pre-aggregated points, so the collector state stands in for it.
        self.reader._set_collect_callback(lambda reader, timeout_millis=0: metrics_data(state, self_metrics))
        self._lock = threading.Lock()

    def render(self) -> bytes:
        with self._lock:
            return generate_latest(self.registry)
