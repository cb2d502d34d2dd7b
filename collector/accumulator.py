"""Totals per (metric, label set), folded from accepted points (see accepted_points).

Delta sums add up; cumulative sums become increments per stream: a new start time or, for a
monotonic sum, a lower value is a reset and the whole value counts. Gauges keep the last
value. Histograms add bucket counts the same way. Folding depends only on the state and the
batch (its time included), so replaying a logged batch on the state it was first applied to
gives the same totals. No totals ever go down: that is what Prometheus would read as a reset.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .accepted_points import GAUGE, HISTOGRAM, SUM, Labels

# The label set of the overflow series, as the OpenTelemetry SDK names it.
OVERFLOW_LABELS: Labels = (("otel.metric.overflow", "true"),)


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


def rebucket(bounds: tuple, counts: list, new_bounds: tuple) -> list:
    """Counts of one layout moved to another without losing any or lowering a cumulative
    bucket both layouts share: each observation goes to the first new bucket whose bound is at
    least the old bucket's bound (the +Inf bucket for anything beyond)."""
    out = [0] * (len(new_bounds) + 1)
    j = 0
    for i, n in enumerate(counts):
        if i == len(bounds):
            out[-1] += n
            continue
        while j < len(new_bounds) and new_bounds[j] < bounds[i]:
            j += 1
        out[j] += n
    return out


class Accumulator:
    def __init__(self, limit_for: Callable[[str], int], stream_ttl_seconds: float = 86400.0):
        self.limit_for = limit_for
        self.stream_ttl_seconds = stream_ttl_seconds
        self.lock = threading.Lock()
        self.families: dict[str, Family] = {}
        # (metric name, stream) -> [start_time_unix_nano, last value, last seen (unix s)]
        self.streams: dict[tuple, list] = {}

    # --- folding -----------------------------------------------------------------------------

    def apply(self, batch: tuple) -> tuple[int, dict[str, int]]:
        """Fold a batch; returns (points refused because their name has another type, points
        folded into overflow per metric)."""
        now, metrics = batch
        conflicting = 0
        overflow: dict[str, int] = {}
        with self.lock:
            for name, description, unit, kind, monotonic, cumulative, points in metrics:
                family = self.families.get(name)
                if family is None:
                    family = Family(name, description, unit, kind, monotonic, self.limit_for(name))
                    self.families[name] = family
                elif family.kind != kind:
                    conflicting += len(points)  # one name, one type: Prometheus could not tell them apart
                    continue
                folded = self._fold(family, points, cumulative, now)
                if folded:
                    overflow[name] = overflow.get(name, 0) + folded
        return conflicting, overflow

    def _fold(self, family: Family, points: tuple, cumulative: bool, now: float) -> int:
        series = family.series
        kind = family.kind
        reset_when_lower = family.monotonic and kind == SUM
        folded = 0
        for labels, stream, start, value in points:
            if labels not in series and len(series) >= family.limit:
                labels = OVERFLOW_LABELS
                folded += 1
            if kind == HISTOGRAM:
                self._fold_histogram(family, labels, stream, start, value, now)
                continue
            if kind == GAUGE:
                series[labels] = float(value)
                continue
            if cumulative:
                key = (family.name, stream)
                previous = self.streams.get(key)
                self.streams[key] = [start, value, now]
                if previous is not None and previous[0] == start and not (reset_when_lower and value < previous[1]):
                    value -= previous[1]
            series[labels] = series.get(labels, 0.0) + value
        return folded

    def _fold_histogram(self, family: Family, labels: Labels, stream, start: int, value: tuple, now: float) -> None:
        bounds, counts, total, count = value
        counts = list(counts)
        if stream is not None:
            key = (family.name, stream)
            previous = self.streams.get(key)
            self.streams[key] = [start, [bounds, counts, total, count], now]
            if previous is not None and previous[0] == start:
                before_bounds, before_counts, before_total, before_count = previous[1]
                if before_bounds == bounds and all(a >= b for a, b in zip(counts, before_counts, strict=True)):
                    counts = [a - b for a, b in zip(counts, before_counts, strict=True)]
                    total -= before_total
                    count -= before_count
        current = family.series.get(labels)
        if current is None:
            family.series[labels] = [bounds, counts, total, count]
            return
        if current[0] != bounds:
            # the sender changed its buckets: what was counted stays counted, in the new layout
            current[1] = rebucket(current[0], current[1], bounds)
            current[0] = bounds
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

    def value(self, name: str, labels: dict[str, str]) -> Any:
        """The value of one series (None when absent), for callers and tests."""
        with self.lock:
            family = self.families.get(name)
            return None if family is None else family.series.get(tuple(sorted(labels.items())))

    # --- keeping it bounded, saving, loading ------------------------------------------------

    def expire_streams(self, now: float) -> int:
        """Forget cumulative streams not seen for the TTL; returns how many."""
        cutoff = now - self.stream_ttl_seconds
        with self.lock:
            stale = [k for k, v in self.streams.items() if v[2] < cutoff]
            for key in stale:
                del self.streams[key]
        return len(stale)

    def to_data(self) -> dict:
        """Everything as JSON-ready lists (the caller holds no lock; this takes it)."""
        with self.lock:
            return {
                "families": [
                    {
                        "name": f.name,
                        "description": f.description,
                        "unit": f.unit,
                        "kind": f.kind,
                        "monotonic": f.monotonic,
                        "series": [
                            [
                                list(map(list, labels)),
                                [list(v[0]), list(v[1]), v[2], v[3]] if f.kind == HISTOGRAM else v,
                            ]
                            for labels, v in f.series.items()
                        ],
                    }
                    for f in self.families.values()
                ],
                "streams": [[name, stream, list(value)] for (name, stream), value in self.streams.items()],
            }

    def load_data(self, data: dict) -> None:
        """Restore what to_data() gave (JSON lists turned back into the tuples used as keys)."""

        def pairs(rows) -> tuple:
            return tuple(tuple(row) for row in rows)

        with self.lock:
            self.families.clear()
            self.streams.clear()
            for entry in data["families"]:
                family = Family(
                    entry["name"],
                    entry["description"],
                    entry["unit"],
                    entry["kind"],
                    entry["monotonic"],
                    self.limit_for(entry["name"]),
                )
                for labels, value in entry["series"]:
                    if family.kind == HISTOGRAM:
                        value = [tuple(value[0]), list(value[1]), value[2], value[3]]
                    family.series[pairs(labels)] = value
                self.families[family.name] = family
            for name, stream, value in data["streams"]:
                resource_key, point_key = stream
                stream = (pairs(resource_key) if resource_key is not None else None, pairs(point_key))
                if isinstance(value[1], list):
                    value[1] = [tuple(value[1][0]), list(value[1][1]), value[1][2], value[1][3]]
                self.streams[(name, stream)] = value
