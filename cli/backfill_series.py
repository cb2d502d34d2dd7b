"""History from before telemetry was on, as per-day Prometheus counters that sit beside live ones.

How backfilled series relate to live ones (the rule every backfill follows):

* Same metric names and labels as the live series, plus `source="backfill"`, so every
  dashboard and `report` query (`sum by (...) (increase(...))`) adds them up with live data.
* A backfill covers only events strictly before a cutoff: `--until`, else the first sample of
  the matching live series in Prometheus (per repository for git, per developer for Claude
  Code), else now. Live counters count from their first sample on (increase() never counts a
  series' first value), so history before the cutoff and live data after it never overlap.
* Samples are deterministic: a counter that is 0 at the start of its first day and then holds
  the running total at every midnight UTC up to the cutoff (plus the cutoff itself). Writing
  the same history again produces identical samples, which Prometheus merges away when it
  reads overlapping blocks, so re-running a backfill never doubles a figure.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from .openmetrics import Series, bucket_end, counter_samples
from .report_data import Prometheus, PrometheusError

DAY = 86400
BACKFILL = {"source": "backfill"}
LIVE_LOOKBACK = "400d"  # as far back as `up` keeps data


@dataclass(frozen=True)
class Increment:
    at: float  # unix seconds of the event
    name: str
    labels: tuple[tuple[str, str], ...]
    amount: float


def daily_series(increments: Iterable[Increment], cutoff: int) -> list[Series]:
    """Per-day cumulative counters of all increments before `cutoff`, labelled source="backfill"."""
    buckets: dict[tuple, dict[int, float]] = {}
    for inc in increments:
        if inc.at >= cutoff or not inc.amount:
            continue
        t = min(bucket_end(inc.at, DAY), cutoff)
        per_time = buckets.setdefault((inc.name, inc.labels), {})
        per_time[t] = per_time.get(t, 0.0) + inc.amount
    series = []
    for (name, labels), per_time in sorted(buckets.items()):
        start = (min(per_time) - 1) // DAY * DAY
        series.append(
            Series(name, {**dict(labels), **BACKFILL}, "counter", counter_samples(per_time, start, cutoff, DAY))
        )
    return series


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def selector(metric: str, **labels: str) -> str:
    matchers = [f'{k}="{_quote(v)}"' for k, v in sorted(labels.items())] + ['source!="backfill"']
    return f"{metric}{{{','.join(matchers)}}}"


def first_live_sample(prom: Prometheus, live_selector: str, now: int) -> int | None:
    """Unix seconds of the first sample of the live series matching `live_selector`, or None.

    An hourly subquery finds the first hour with data cheaply (its steps sit on whole hours, so
    the hour in progress is looked at separately), then per-second steps over the two hours
    before it give the exact first sample.
    """

    def earliest(window: str, at: int) -> float | None:
        result = prom.query(f"min(min_over_time(timestamp({live_selector})[{window}]))", at)
        return result[0][1] if result else None

    around = earliest(f"{LIVE_LOOKBACK}:1h", now)
    if around is None:
        exact = earliest("2h:1s", now)
    else:
        exact = earliest("2h:1s", int(around))
        exact = around if exact is None else min(exact, around)
    return None if exact is None else int(exact)


def live_cutoff(prometheus_url: str | None, live_selector: str, now: int) -> tuple[int, str]:
    """Where a backfill must stop, and why (for the summary line)."""
    if prometheus_url:
        try:
            first = first_live_sample(Prometheus(prometheus_url, timeout=60), live_selector, now)
        except PrometheusError as e:
            raise PrometheusError(f"{e} (or pass --until DATE, or --no-prometheus to backfill up to now)") from None
        if first is not None:
            return first, "first live sample"
    return now, "now"
