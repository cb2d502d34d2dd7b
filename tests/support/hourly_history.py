"""History pushed into a running Prometheus (remote write) together with its hourly
pre-aggregates: the hourly rules (agent_analytics/vocabulary/hourly.py) would have recorded those while
the history happened; here they are evaluated at the history's whole hours afterwards, with the
expressions `demo` and `backfill` use."""

from __future__ import annotations

from agent_analytics.history.hourly_backfill import hourly_series
from agent_analytics.wire.prom_query import Prometheus
from agent_analytics.wire.remote_write import push

HOUR = 3600


def push_history(url: str, series: list[tuple[dict, list[tuple[int, float]]]]) -> int:
    """Push `series` ((labels with __name__, [(ms, value)])) and their hourly series; returns the
    history's samples written."""
    written = push(url, series)
    times = [t // 1000 for _, samples in series for t, _ in samples]
    first, last = -(-min(times) // HOUR) * HOUR, -(-max(times) // HOUR) * HOUR
    client = Prometheus(url)
    try:
        hours = hourly_series(client, first, last, lambda: None)
    finally:
        client.close()
    push(url, [({"__name__": s.name, **s.labels}, [(round(t * 1000), v) for t, v in s.samples]) for s in hours])
    return written
