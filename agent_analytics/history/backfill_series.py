"""History from before telemetry was on, as per-day Prometheus counters that sit beside live ones.

How backfilled series relate to live ones (the rule every backfill follows):

* Same metric names and labels as the live series, plus `source="backfill"`, so every
  dashboard and `report` query adds them up with live data.
* Dashboards and `report` count a live series that appears within a window with its whole
  first value, so a backfill leaves out what those first values hold: for git, per repository
  and label set, the latest commits up to the live series' first sample, as many as its first
  value (all of history when the exporter scanned the repository, the first commit when only
  the hook sends); for Claude Code, everything from one export interval before the developer's
  first live sample. `--until` sets the end by hand instead; without live data it is now.
* Samples are deterministic: a counter that is 0 at the start of its first day and then holds
  the running total at every midnight UTC up to the cutoff (plus the cutoff itself). Writing
  the same history again produces identical samples, which Prometheus merges away when it
  reads overlapping blocks, so re-running a backfill never doubles a figure.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from agent_analytics.vocabulary.facts import RETENTION
from agent_analytics.vocabulary.series import HISTORY_LABELS
from agent_analytics.wire.past_counters import history_samples
from agent_analytics.wire.prom_query import Prometheus

from .openmetrics import Series, bucket_end, counter_samples

DAY = 86400
LIVE_LOOKBACK = RETENTION  # as far back as `up` keeps data


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
            Series(name, {**dict(labels), **HISTORY_LABELS}, "counter", counter_samples(per_time, start, cutoff, DAY))
        )
    return series


def commit_time_series(increments: Iterable[Increment], cutoff: int, since: int) -> list[Series]:
    """Counters with a sample at every increment's own time (and every midnight UTC), labelled source="backfill".

    The layout of `past_counters.history_samples`, which the exporter uses for the history it
    writes, so both give samples of one running total: where they overlap they agree. Running
    totals count from the first increment; samples before `since` are left out.
    """
    grouped: dict[tuple, list[tuple[int, float]]] = {}
    for inc in increments:
        if inc.at < cutoff and inc.amount:
            grouped.setdefault((inc.name, inc.labels), []).append((int(inc.at), inc.amount))
    series = []
    for (name, labels), found in sorted(grouped.items()):
        samples = history_samples(sorted(found))
        last_t, total = samples[-1]
        samples += [(t, total) for t in range((last_t // DAY + 1) * DAY, cutoff, DAY)] + [(cutoff, total)]
        kept = [(t, v) for t, v in samples if t >= since]
        if kept:
            series.append(Series(name, {**dict(labels), **HISTORY_LABELS}, "counter", kept))
    return series


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def selector(metric: str, **labels: str) -> str:
    matchers = [f'{k}="{_quote(v)}"' for k, v in sorted(labels.items())] + ['source!="backfill"']
    return f"{metric}{{{','.join(matchers)}}}"


def _matcher(labels: dict[str, str]) -> str:
    name = labels.get("__name__", "")
    return f"{name}{{{','.join(f'{k}={_label_value(v)}' for k, v in sorted(labels.items()) if k != '__name__')}}}"


def _label_value(value: str) -> str:
    return f'"{_quote(value)}"'


def first_samples(prom: Prometheus, live_selector: str, now: int) -> list[tuple[dict[str, str], float, float]]:
    """(labels, time, value) of the first sample of every live series matching `live_selector`.

    An hourly subquery finds each series' first hour with data cheaply (its steps sit on whole
    hours, so the hour in progress is looked at separately); the raw samples of the two hours
    before it give the exact first sample.
    """
    name = live_selector.split("{", 1)[0]  # timestamp() drops the name; selector() always starts with it
    around: dict[tuple, float] = {}
    for window in (f"{LIVE_LOOKBACK}:1h", "2h:1s"):
        for labels, t in prom.query(f"min_over_time(timestamp({live_selector})[{window}])", now):
            around.setdefault(tuple(sorted(labels.items())), t)
    found = []
    for key, t in around.items():
        labels = {**dict(key), "__name__": name}
        for series_labels, values in prom.samples(f"{_matcher(labels)}[2h]", int(t) + 1):
            first_t, first_v = min(values)
            found.append((series_labels, first_t, first_v))
    return found


def first_live_sample(prom: Prometheus, live_selector: str, now: int) -> int | None:
    """Unix seconds of the first sample of the live series matching `live_selector`, or None."""
    times = [t for _, t, _ in first_samples(prom, live_selector, now)]
    return int(min(times)) if times else None
