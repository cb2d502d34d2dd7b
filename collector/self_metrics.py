"""The collector's own counters and gauges (agent_analytics_collector_*), as prometheus_client
metrics in a registry of their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

# name -> (description, label names, is a counter). Counters are written with `_total`.
DEFINITIONS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "agent_analytics_collector_received": (
        "Data points (signal=metrics) and log records (signal=logs) received, by agent (service.name)",
        ("signal", "agent"),
        True,
    ),
    "agent_analytics_collector_rejected": (
        "Requests rejected, and data points of unsupported types, by reason",
        ("reason",),
        True,
    ),
    "agent_analytics_collector_overflow": (
        "Data points folded into the overflow series because the metric reached its cardinality limit",
        ("metric",),
        True,
    ),
    "agent_analytics_collector_loki_forwarded": ("Log records accepted by Loki", (), True),
    "agent_analytics_collector_loki_forward_failures": ("Failed attempts to send a batch of events to Loki", (), True),
    "agent_analytics_collector_spool_dropped": (
        "Log records dropped from the on-disk spool because it reached its size limit",
        (),
        True,
    ),
    "agent_analytics_collector_spool_bytes": ("Bytes of events waiting in the on-disk spool for Loki", (), False),
    "agent_analytics_collector_spool_records": ("Log records waiting in the on-disk spool for Loki", (), False),
    "agent_analytics_collector_wal_syncs": (
        "Writes of the metric write-ahead log made durable (one per group of concurrent requests)",
        (),
        True,
    ),
    "agent_analytics_collector_wal_bytes": ("Bytes of the metric write-ahead log since the last snapshot", (), False),
    "agent_analytics_collector_wal_replayed_batches": (
        "Logged batches applied again at start, on top of the last snapshot",
        (),
        True,
    ),
    "agent_analytics_collector_wal_dropped_bytes": (
        "Bytes of a torn or corrupt write-ahead log tail dropped at start (never acknowledged when torn)",
        (),
        True,
    ),
    "agent_analytics_collector_snapshots": ("Snapshots of the metric state written", (), True),
}


class SelfMetrics:
    """Counters keyed by label values; gauges are set. Thread-safe (prometheus_client is)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._metrics: dict[str, Counter | Gauge] = {}
        for name, (description, labels, counter) in DEFINITIONS.items():
            kind = Counter if counter else Gauge
            self._metrics[name] = kind(name, description, labels, registry=self.registry)

    def _child(self, name: str, labels: tuple[str, ...]):
        metric = self._metrics[name]
        return metric.labels(*labels) if labels else metric

    def add(self, name: str, amount: float = 1, *labels: str) -> None:
        self._child(name, labels).inc(amount)

    def set(self, name: str, value: float, *labels: str) -> None:
        self._child(name, labels).set(value)

    def get(self, name: str, *labels: str) -> float:
        counter = DEFINITIONS[name][2]
        names = DEFINITIONS[name][1]
        value = self.registry.get_sample_value(
            name + ("_total" if counter else ""), dict(zip(names, labels, strict=True))
        )
        return value or 0.0
