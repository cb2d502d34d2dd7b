"""/metrics: the totals as a prometheus_client custom collector (public API only), named by
prometheus_naming, beside the collector's own metrics, in one registry that prometheus_client's
ASGI app serves (text format or OpenMetrics as the scraper asks, gzip when it accepts it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from .accepted_points import GAUGE, HISTOGRAM
from .accumulator import Accumulator
from .prometheus_naming import exposed_name, label_name, metric_name, unit_suffix, usable_label
from .self_metrics import SelfMetrics

log = logging.getLogger(__name__)


class TotalsExposition(Collector):
    """Every accumulated family as a Prometheus metric family."""

    def __init__(self, accumulator: Accumulator):
        self.accumulator = accumulator
        self._warned: set[str] = set()

    def collect(self) -> Iterator[Metric]:
        taken: dict[str, str] = {}
        for family, series in self.accumulator.copy_families():
            counter = family.kind not in (GAUGE, HISTOGRAM) and family.monotonic
            histogram = family.kind == HISTOGRAM
            # two OTLP names that translate to one Prometheus name would give a page with two TYPE
            # lines for it, which Prometheus refuses as a whole: the first one keeps the name
            exported = exposed_name(family.name, family.unit, counter, histogram)
            if taken.setdefault(exported, family.name) != family.name:
                if family.name not in self._warned:
                    self._warned.add(family.name)
                    log.warning(
                        "metric %r left out of /metrics: %r has its name %s", family.name, taken[exported], exported
                    )
                continue
            yield _family(family.name, family.description, family.unit, counter, histogram, series)


def _rows(series: dict, histogram: bool) -> tuple[list[str], list[tuple[list[str], object]]]:
    """Label names (sorted, over all series) and each series' label values ('' where absent)."""
    per_series = []
    names: set[str] = set()
    for labels, value in series.items():
        row = {}
        for key, text in labels:
            if usable_label(key, histogram):
                row[label_name(key)] = text
        names.update(row)
        per_series.append((row, value))
    ordered = sorted(names)
    return ordered, [([row.get(n, "") for n in ordered], value) for row, value in per_series]


def _family(name: str, description: str, unit: str, counter: bool, histogram: bool, series: dict) -> Metric:
    base, suffix = metric_name(name), unit_suffix(unit)
    names, rows = _rows(series, histogram)
    if histogram:
        family = HistogramMetricFamily(base, description, labels=names, unit=suffix)
        for values, (bounds, counts, total, _count) in rows:
            buckets, running = [], 0
            for bound, n in zip([*(f"{float(b)}" for b in bounds), "+Inf"], counts, strict=True):
                running += n
                buckets.append((bound, running))
            family.add_metric(values, buckets, sum_value=total)
        return family
    kind = CounterMetricFamily if counter else GaugeMetricFamily
    family = kind(base, description, labels=names, unit=suffix)
    for values, value in rows:
        family.add_metric(values, value)
    return family


class SelfMetricsExposition(Collector):
    def __init__(self, self_metrics: SelfMetrics):
        self.self_metrics = self_metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.self_metrics.registry.collect()


def metrics_registry(accumulator: Accumulator, self_metrics: SelfMetrics) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TotalsExposition(accumulator))
    registry.register(SelfMetricsExposition(self_metrics))
    return registry
