"""The collector's own counters and gauges (agent_analytics_collector_*, declared in
agent_analytics.vocabulary.series), as prometheus_client metrics in a registry of their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from agent_analytics.vocabulary.series import COLLECTOR_SERIES, COUNTER, Series

# the name prometheus_client is given (a counter's without `_total`) -> its declaration
DEFINITIONS: dict[str, Series] = {series.base: series for series in COLLECTOR_SERIES}


class SelfMetrics:
    """Counters keyed by label values; gauges are set. Thread-safe (prometheus_client is)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._metrics: dict[str, Counter | Gauge] = {}
        for name, series in DEFINITIONS.items():
            kind = Counter if series.kind == COUNTER else Gauge
            self._metrics[name] = kind(name, series.help, series.labels, registry=self.registry)

    def _child(self, series: Series, labels: tuple[str, ...]):
        metric = self._metrics[series.base]
        return metric.labels(*labels) if labels else metric

    def add(self, series: Series, amount: float = 1, *labels: str) -> None:
        self._child(series, labels).inc(amount)

    def set(self, series: Series, value: float, *labels: str) -> None:
        self._child(series, labels).set(value)

    def get(self, name: Series | str, *labels: str) -> float:
        """The value of one series, named as declared or as prometheus_client names it."""
        series = name if isinstance(name, Series) else DEFINITIONS[name]
        value = self.registry.get_sample_value(str(series), dict(zip(series.labels, labels, strict=True)))
        return value or 0.0
