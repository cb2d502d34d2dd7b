"""The vendors' organisation usage and cost APIs (Anthropic, Cursor, OpenAI) as daily figures.

Each source turns one API's records into `DayFigure`s: the complete figures of one UTC day, per
developer and model. The exporter's day store (exporter/vendors/days.py) writes each day into
Prometheus once, at the day's own time, and adjusts a day that the vendor revises.

Series (gauges whose samples are amounts for the UTC day they are stamped in; a window's total
is `sum_over_time(series[window])`). Every series carries `source`, `agent`, `developer_id`
and `team_id`:

    agent_analytics_vendor_cost_usd           + model
    agent_analytics_vendor_tokens             + model, type (input, output, cache_read, cache_creation)
    agent_analytics_vendor_requests           + model
    agent_analytics_vendor_sessions
    agent_analytics_vendor_lines              + type (added, removed)
    agent_analytics_vendor_commits
    agent_analytics_vendor_pull_requests
    agent_analytics_vendor_edit_decisions     + tool, decision (accept, reject)

One series carries `source`, `agent` and `project_id` instead of a developer and team:

    agent_analytics_vendor_billed_usd         the vendor's billed total of a project (OpenAI's
                                              costs API), kept beside the per-developer cost for
                                              reconciliation and never added to it
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from prometheus_client.registry import Collector

from agent_analytics.vocabulary.series import VENDOR_DAY_SERIES


@dataclass(frozen=True)
class DayFigure:
    name: str  # one of series.VENDOR_DAY_SERIES
    labels: tuple[tuple[str, str], ...]  # sorted (name, value) pairs, source/agent/developer_id/team_id included
    value: float


def figure(name: str, value: float, **labels: str) -> DayFigure:
    return DayFigure(name, tuple(sorted((k, str(v)) for k, v in labels.items())), float(value))


def add_up(figures: Iterable[DayFigure]) -> list[DayFigure]:
    """Figures with the same series added together (two records of one developer and model)."""
    totals: dict[tuple[str, tuple], float] = {}
    for f in figures:
        totals[(f.name, f.labels)] = totals.get((f.name, f.labels), 0.0) + f.value
    return [DayFigure(name, labels, value) for (name, labels), value in sorted(totals.items())]


def day_spans(first: date, last: date, most_days: int) -> list[tuple[date, date]]:
    """`first`..`last` (both included) cut into consecutive spans of at most `most_days` days."""
    spans = []
    while first <= last:
        end = min(last, first + timedelta(days=most_days - 1))
        spans.append((first, end))
        first = end + timedelta(days=1)
    return spans


def day_start(day: date) -> datetime:
    """Midnight UTC that begins `day`."""
    return datetime.combine(day, time(0), UTC)


def utc_day(unix_seconds: float) -> date:
    return datetime.fromtimestamp(unix_seconds, UTC).date()


def utc_today() -> date:
    return datetime.now(UTC).date()


def day_sample_time(day: date, writes_before: int = 0) -> int:
    """Unix seconds of a day sample: the last second of UTC `day`, one second earlier for each
    earlier write of the same series and day (a revision writes the difference there), so a day
    counts in every window that holds its end, never in the next day's."""
    end = datetime.combine(day + timedelta(days=1), time(0), UTC)
    return int(end.timestamp()) - 1 - writes_before


def day_sample_time_queries(source: str, edge: str, lookback: str) -> list[str]:
    """PromQL for the time of the earliest (`edge="min"`) or newest (`"max"`) day sample that
    Prometheus holds for `source` within `lookback`: one query per series name, the edge being
    the min or max of their answers. (timestamp() drops the name, and two series of one source,
    e.g. a developer's cost and requests for one model, may differ only in it.) Day samples sit
    in the last seconds of their day, so a subquery stepping from midnight to midnight sees each
    of them within the lookback window."""
    return [
        f'{edge}({edge}_over_time(timestamp({name}{{source="{source}"}})[{lookback}:1d]))' for name in VENDOR_DAY_SERIES
    ]


class VendorSource(Protocol):
    """What the vendor poller needs of each API."""

    name: str  # the config key and the `source` label: anthropic, anthropic_enterprise, cursor, openai
    agent: str  # the `agent` label of its figures: claude-code, cursor, codex

    def fetch_days(self, first: date, last: date) -> dict[date, list[DayFigure]]:
        """The complete figures of every day from `first` to `last` (UTC, inclusive) that the API
        can already give. A day it has (even with no usage: an empty list) is in the result; a day
        it cannot give yet is left out. Raises exporter.api_client.ApiError on failure, and
        ShapeError for a payload of unexpected shape."""

    # optional: `days_per_fetch`, the days one call of fetch_days should cover at most (e.g. 1
    # for an API that answers one day per request, so each day is committed as it arrives)

    def gauges(self) -> Collector | None:
        """Gauges of the current state (e.g. Cursor's members and cycle spend), or None."""

    def close(self) -> None: ...


class ShapeError(ValueError):
    """A payload whose shape is not the documented one; counted, never a crash."""
