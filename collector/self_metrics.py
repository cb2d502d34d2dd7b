"""The collector's own counters and gauges (agent_analytics_collector_*)."""

from __future__ import annotations

import threading
from collections import defaultdict

# OTLP-style name -> (description, label names, is a counter). Rendered through the same
# Prometheus translation as the received metrics, so counters get their `_total` suffix there.
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
}


class SelfMetrics:
    """Thread-safe counters keyed by label values; gauges are set."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[tuple[str, ...], float]] = defaultdict(dict)

    def add(self, name: str, amount: float = 1, *labels: str) -> None:
        with self._lock:
            series = self._values[name]
            series[labels] = series.get(labels, 0) + amount

    def set(self, name: str, value: float, *labels: str) -> None:
        with self._lock:
            self._values[name][labels] = value

    def get(self, name: str, *labels: str) -> float:
        with self._lock:
            return self._values.get(name, {}).get(labels, 0)

    def snapshot(self) -> dict[str, dict[tuple[str, ...], float]]:
        with self._lock:
            return {name: dict(series) for name, series in self._values.items()}
