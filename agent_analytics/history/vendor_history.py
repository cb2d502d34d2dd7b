"""The days the vendors' organisation APIs still hold, as Prometheus series for `backfill vendor`.

The series are the exporter's own (exporter/vendors: same names and labels, `source` naming the
API), with one sample per series and UTC day at `day_sample_time(day, 0)`: what the exporter
writes for a day it records once. The two never hold the same day: the exporter starts a source
after the newest day Prometheus holds for it, and the backfill ends before the earliest. Running
the backfill again writes the same samples, which Prometheus merges away, or, once Prometheus
holds them, nothing; a longer `--days` then adds only the older days.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from agent_analytics.exporter.api_client import ApiError
from agent_analytics.exporter.config import ExporterConfig
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.vendors.figures import (
    DayFigure,
    ShapeError,
    VendorSource,
    day_sample_time,
    day_sample_time_queries,
    day_spans,
)
from agent_analytics.exporter.vendors.sources import source_for
from agent_analytics.vocabulary.facts import RETENTION, VENDOR_HISTORY_DAYS

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


@dataclass
class Loaded:
    """What `backfill vendor` loaded of the sources of one exporter config."""

    results: dict[str, dict] = field(default_factory=dict)  # source -> what the --json output shows of it
    series: list[Series] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per source not loaded, for people

    @property
    def failed(self) -> list[str]:
        return [name for name, r in self.results.items() if r["status"] == "failed"]


def load_sources(
    config: ExporterConfig,
    live: dict[str, date | None],
    today: date,
    newest_allowed: int,
    days: int | None = None,
    progress: Callable[[str, int], Callable[[int], None]] = lambda name, total: lambda days: None,
) -> Loaded:
    """Every configured source's days before the first day any of them holds live (`live`: the
    earliest day Prometheus holds per source), `days` back (default: what each API keeps).
    `progress(name, days)` returns the tick of one source's reading. A source without its key,
    refused or answering in an unexpected shape is a problem line; the others still load."""
    out = Loaded()
    identities = IdentityMap(config.identities)
    # every source's blocks end before the first day any source holds live: at its next start
    # Prometheus drops remote-written samples older than a block's end
    held_from = min((d for d in live.values() if d), default=None)
    for name, source_config in config.vendor_configs().items():
        result = out.results[name] = {"status": "ok", "days": 0, "series": 0, "samples": 0}
        key = os.environ.get(source_config.key_env, "").strip()
        if not key:
            result.update(status="failed", reason="no_key")
            out.problems.append(f"{name}: no key: set {source_config.key_env} (the config's key variable)")
            continue
        result["live_from"] = live[name].isoformat() if live.get(name) else None
        span = days_to_backfill(today, days or VENDOR_HISTORY_DAYS[name], newest_allowed, held_from)
        if span is None:
            continue
        result.update(first_day=span[0].isoformat(), last_day=span[1].isoformat())
        tick = progress(f"Reading {name}", (span[1] - span[0]).days + 1)
        source = source_for(name, config, identities, key)
        try:
            fetched = fetch(source, *span, tick=tick)
        except ApiError as e:  # its text names the endpoint and reason, never the key
            result.update(status="failed", reason=e.reason)
            out.problems.append(f"{name}: {e}{' (check the key and its role)' if e.auth_failed else ''}")
            continue
        except ShapeError as e:
            result.update(status="failed", reason="bad_payload")
            out.problems.append(f"{name}: answer of unexpected shape: {e}")
            continue
        finally:
            source.close()
        # only a source read in full is written: the next run starts before its earliest day written
        loaded = day_series(fetched)
        result.update(days=len(fetched), series=len(loaded), samples=sum(len(s.samples) for s in loaded))
        out.series += loaded
    return out
