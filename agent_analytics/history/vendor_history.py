"""The days the vendors' organisation APIs still hold, as Prometheus series for `backfill vendor`.

The series are the exporter's own (exporter/vendors: same names and labels, `source` naming the
API), with one sample per series and UTC day at `day_sample_time(day, 0)`: what the exporter
writes for a day it records once. The two never hold the same day: the exporter starts a source
after the newest day Prometheus holds for it, and the backfill ends before the earliest. Running
the backfill again writes the same samples, which Prometheus merges away, or, once Prometheus
holds them, nothing; a longer `--days` then adds only the older days.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from agent_analytics.exporter.vendors import (
    DayFigure,
    VendorSource,
    day_sample_time,
    day_sample_time_queries,
    day_spans,
)
from agent_analytics.vocabulary.facts import RETENTION

from .openmetrics import Series

CHUNK_DAYS = 30  # days asked for per fetch (one step of the progress bar), within every API's range limit


def earliest_sample_queries(source: str) -> list[str]:
    """PromQL whose smallest answer is the time of the earliest day sample of `source`."""
    return day_sample_time_queries(source, "min", RETENTION)


def day_of(t: float) -> date:
    return datetime.fromtimestamp(t, UTC).date()


def last_writable_day(newest_allowed: int) -> date:
    """The newest day whose sample time (its last second) a block may hold."""
    last = day_of(newest_allowed)
    return last if day_sample_time(last) <= newest_allowed else last - timedelta(days=1)


def days_to_backfill(today: date, days: int, newest_allowed: int, live_from: date | None) -> tuple[date, date] | None:
    """(first, last) day to load: `days` back from `today`, up to the newest day a block may
    hold and before the first day the live series hold; None when no day is left."""
    first = today - timedelta(days=days)
    last = last_writable_day(newest_allowed)
    if live_from is not None:
        last = min(last, live_from - timedelta(days=1))
    return (first, last) if first <= last else None


def fetch(
    source: VendorSource, first: date, last: date, tick: Callable[[int], None] = lambda days: None
) -> dict[date, list[DayFigure]]:
    """Every day from `first` to `last` that the API gives (ApiError / ShapeError as it raises them)."""
    out: dict[date, list[DayFigure]] = {}
    for start, end in day_spans(first, last, CHUNK_DAYS):
        got = source.fetch_days(start, end)
        out.update({day: figures for day, figures in got.items() if start <= day <= end})
        tick((end - start).days + 1)
    return out


def day_series(days: dict[date, list[DayFigure]]) -> list[Series]:
    """One gauge sample per series and day at the day's sample time; zero figures are left out,
    as the exporter writes nothing for them."""
    samples: dict[tuple[str, tuple], list[tuple[int, float]]] = {}
    for day, figures in sorted(days.items()):
        for f in figures:
            if f.value:
                samples.setdefault((f.name, f.labels), []).append((day_sample_time(day), f.value))
    return [Series(name, dict(labels), "gauge", sorted(s)) for (name, labels), s in sorted(samples.items())]
