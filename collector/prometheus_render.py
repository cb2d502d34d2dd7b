"""/metrics: the accumulated state rendered through the OpenTelemetry SDK's Prometheus reader,
so series names, unit suffixes and label names follow the SDK's (and the OTel Collector's)
translation: claude_code.cost.usage + unit USD -> claude_code_cost_usage_USD_total."""

from __future__ import annotations

import threading
import time

from opentelemetry.exporter.prometheus import PrometheusMetricReader
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

CONTENT_TYPE = CONTENT_TYPE_LATEST
_SCOPE = InstrumentationScope("agent_analytics.collector")


def _sum_or_gauge(name, description, unit, kind, monotonic, rows, now) -> Metric:
    points = [
        NumberDataPoint(attributes=dict(labels), start_time_unix_nano=0, time_unix_nano=now, value=value)
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
            attributes=dict(labels),
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
    for family, series in state.copy_families():
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
