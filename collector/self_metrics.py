"""The collector's own counters and gauges (agent_analytics_collector_*, declared in
agent_analytics.vocabulary.series), as prometheus_client metrics in a registry of their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from agent_analytics.vocabulary.series import COLLECTOR_SERIES, COUNTER, Series

# prometheus_client's name (a counter's without `_total`) -> its declaration
DEFINITIONS: dict[str, Series] = {series.base: series for series in COLLECTOR_SERIES}


class SelfMetrics:
    """Counters keyed by label values; gauges are set. Thread-safe (prometheus_client is)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._metrics: dict[str, Counter | Gauge] = {}
        for name, series in DEFINITIONS.items():
            kind = Counter if series.kind == COUNTER else Gauge
            self._metrics[name] = kind(name, series.help, series.labels, registry=self.registry)

    def _child(self, name: str, labels: tuple[str, ...]):
        metric = self._metrics[name]
        return metric.labels(*labels) if labels else metric

    def add(self, name: str, amount: float = 1, *labels: str) -> None:
        self._child(name, labels).inc(amount)

    def set(self, name: str, value: float, *labels: str) -> None:
        self._child(name, labels).set(value)

    def get(self, name: str, *labels: str) -> float:
        series = DEFINITIONS[name]
        value = self.registry.get_sample_value(str(series), dict(zip(series.labels, labels, strict=True)))
        return value or 0.0
