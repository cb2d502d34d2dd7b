"""Hourly pre-aggregated counters: what lets a panel over a quarter read one sample per
developer and hour instead of every raw sample, for the dashboards and `report` alike.

Two recorded series per counter of hourly_series.yaml, summed by the labels it keeps:

* `<name>:increase1h`: the growth in each clock hour (13:00-14:00), evaluated at the hour's end
  (a subquery aligned to whole hours) and written by the rule evaluation that follows it
  (14:00:20), or by the first within HOUR_CATCH_UP of it after a restart. Read with growth()
  and a day of lookback, so a gap in the samples or a counter reset inside the hour counts as
  the rule windows count it. An idle series (0) is written once a day, at midnight.
* `<name>:increase_interval`: the growth in each rule interval (aligned the same way), labelled
  with the hour it falls in (label `hour`), for the hour in progress.

A counter's rollups (hourly_series.yaml) are the same two series by fewer labels; a window reads
the series with the fewest labels that hold its filters and grouping.

A window's growth is the sum of the hourly samples stamped inside it plus the interval samples
of the hour in progress (the hour of the newest evaluation, HOUR_NOW). So a window begins at
the top of the hour it starts in and ends at the newest rule evaluation.

History (`demo`, `backfill`) has no rule evaluations: agent_analytics.history.hourly_backfill
evaluates hour_growth() over it at every whole hour (stamped a millisecond before it), and sums
those into the rollups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from agent_analytics.vocabulary import facts
from agent_analytics.vocabulary.facts import JOB_EXPORTER
from agent_analytics.vocabulary.promql import grid_by_hour_and_weekday, growth
from agent_analytics.vocabulary.series import HOUR_NOW

TABLE = Path(__file__).with_name("hourly_series.yaml")
HOUR_LOOKBACK = "1d"  # an hour's growth is read against the value up to a day before
TAIL_LOOKBACK = "1h"  # an interval's growth against the value up to an hour before
TAIL_SPAN = "1h"  # the interval samples a window reads: the hour in progress at most
HOUR_CATCH_UP = "10m"  # how long after an hour its growth can still be written (a restart)
# The sample of the hour that ends at T lies in [T - 1 ms, T + HOUR_CATCH_UP + a rule interval]
# (history's a millisecond before T, the rules' at their first evaluation after T): a range read
# at T with this negative offset holds the samples of the hours that end inside it, and only those.
HOUR_END_OFFSET = "-30m"


@cache
def _table() -> dict:
    return yaml.safe_load(TABLE.read_text())


@cache
def kept_labels() -> dict[str, tuple[str, ...]]:
    return {metric: tuple(labels) for metric, labels in _table()["counters"].items()}


@dataclass(frozen=True)
class View:
    """The hourly series of `metric` by `labels`: all its kept labels, or those of a rollup."""

    metric: str
    labels: tuple[str, ...]
    rollup: str = ""  # the rollup's name; "" for the series by every kept label

    @property
    def _name(self) -> str:
        return _base(self.metric) + (f"_{self.rollup}" if self.rollup else "")

    @property
    def hourly(self) -> str:
        return self._name + ":increase1h"

    @property
    def interval(self) -> str:
        return self._name + ":increase_interval"

    @property
    def by(self) -> str:
        return ", ".join(self.labels)


@cache
def views() -> tuple[View, ...]:
    """Every counter's hourly series by all its kept labels, then its rollups."""
    rollups = _table().get("rollups", {})
    out = [View(metric, labels) for metric, labels in kept_labels().items()]
    for metric, named in rollups.items():
        out += [View(metric, tuple(labels), name) for name, labels in named.items()]
    return tuple(out)


def full_view(metric: str) -> View:
    return next(v for v in views() if v.metric == metric and not v.rollup)


def rollups_of(metric: str) -> list[View]:
    return [v for v in views() if v.metric == metric and v.rollup]


def bucketed(metric: str, labels: dict[str, str]) -> bool:
    """Whether the hourly rules read this series (see scraped_only in hourly_series.yaml)."""
    if metric not in kept_labels():
        return False
    return metric not in _table()["scraped_only"] or labels.get("job") == JOB_EXPORTER


def _scraped(metric: str) -> str:
    """The series the hourly rules read: all, or the exporter's scraped ones (scraped_only)."""
    return f'{metric}{{job="{JOB_EXPORTER}"}}' if metric in _table()["scraped_only"] else metric


def _base(metric: str) -> str:
    return "agent_analytics:" + metric.removeprefix("agent_analytics_").removesuffix("_total")


def hourly_series(metric: str) -> str:
    return full_view(metric).hourly


def _summed(view: View, span: str, lookback: str) -> str:
    return f"sum by ({view.by}) (\n  {growth(_scraped(view.metric), span, lookback)}\n)"


def hour_growth(view: View) -> str:
    """The growth in the hour that ends at evaluation time, per kept label set: where it is 0,
    only in the hour that ends at midnight (UTC), so that an idle series costs a panel one sample
    a day instead of 24 and still shows as a 0 row over any window of a day or more."""
    grown = _summed(view, "1h", HOUR_LOOKBACK)
    return f"(\n{grown}\n) > 0\nor\n(\n{grown}\n) and on () (hour() == 0)"


def hour_rule(view: View) -> str:
    """Evaluated every rule interval, written once an hour: the subquery holds the evaluation at the
    hour's start only during the HOUR_CATCH_UP after it (and costs nothing in the rest of the
    hour); each series is written by the first evaluation in that time that finds it unwritten,
    so a Prometheus restarted across the hour still writes it."""
    record = view.hourly
    return (
        f"last_over_time((\n  {hour_growth(view)}\n)[{HOUR_CATCH_UP}:1h])\n"
        f"unless last_over_time({record}[{HOUR_CATCH_UP}])"
    )


def interval_rule(view: View, interval: str) -> str:
    """The growth over the last whole interval, labelled with the hour whose growth it is part of."""
    step = _summed(view, interval, TAIL_LOOKBACK)
    hour = f'count_values("hour", hour(vector(time() - {facts.seconds(interval)})))'
    return f"last_over_time((\n  ({step})\n  * on () group_left (hour) {hour}\n)[{interval}:{interval}])"


def rules(interval: str = facts.RULE_INTERVAL) -> list[tuple[str, str, str]]:
    """(record, expr, comment) of the hourly group."""
    out = [(HOUR_NOW, "hour()", "the hour of this evaluation: which interval samples are the hour in progress")]
    for view in views():
        out.append((view.hourly, hour_rule(view), ""))
        out.append((view.interval, interval_rule(view, interval), ""))
    return out


def backfill_rules() -> list[tuple[View, str]]:
    """(series, expr) evaluated at every whole hour of history (hour_rule's inner evaluation), for
    the series by every kept label: history's rollups are their sums (hourly_backfill)."""
    return [(v, hour_growth(v)) for v in views() if not v.rollup]


# --- reading a window ---------------------------------------------------------------------------

_MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")


def labels_used(text: str) -> set[str]:
    """The label names a matcher list ("team_id=~\\"$team\\", type=\\"x\\"") or grouping names."""
    if "=" not in text:
        return {x.strip() for x in text.split(",") if x.strip()}
    return set(_MATCHER.findall(text))


def view_for(metric: str, filters: str = "", by: str = "", summed: bool = True) -> View | None:
    """The hourly series of `metric` with the fewest labels that hold the filters and grouping of
    a window (summed: by `by` only; else per kept label set, by all of them), or None."""
    if metric not in kept_labels():
        return None
    candidates = [v for v in views() if v.metric == metric] if summed else [full_view(metric)]
    needed = labels_used(filters) | labels_used(by)
    fitting = [v for v in candidates if needed <= set(v.labels)]
    return min(fitting, key=lambda v: len(v.labels), default=None)


def covers(metric: str, filters: str = "", by: str = "") -> bool:
    """Whether the hourly series of `metric` hold what a window read with these filters needs."""
    return view_for(metric, filters, by) is not None


def _selector(name: str, filters: str) -> str:
    return f"{name}{{{filters}}}" if filters else name


def window(metric: str, span: str, filters: str = "", view: View | None = None) -> str:
    """The growth of `metric` over `span` per label set of `view` (default: every kept label),
    from the hourly series (see above); callers check covers() first."""
    view = view or full_view(metric)
    hours = f"sum_over_time({_selector(view.hourly, filters)}[{span}])"
    now = f'count_values("hour", last_over_time({HOUR_NOW}[{TAIL_SPAN}]))'
    tail = f"sum_over_time({_selector(view.interval, filters)}[{TAIL_SPAN}]) and on (hour) {now}"
    parts = [hours, f"({tail})"]
    if metric in _table()["scraped_only"]:  # and the unscraped series, raw
        unscraped = ", ".join(x for x in (filters, f'job!="{JOB_EXPORTER}"') if x)
        parts.append(f'label_replace({growth(f"{metric}{{{unscraped}}}", span)}, "part", "raw", "", "")')
    return f"sum by ({view.by}) (\n  " + "\n  or\n  ".join(parts) + "\n)"


def per_series(
    metric: str, span: str, filters: str = "", by: str = "", lookback: str | None = None, summed: bool = False
) -> str:
    """The growth of `metric` over `span`: per kept label set from the hourly series where they
    hold the labels needed (filters and `by`), else per raw series with growth(). A `lookback`
    (the budget rules pass one) always reads the raw counters. `summed`: the caller sums the
    result by `by`, so a rollup holding `by` will do (view_for)."""
    view = view_for(metric, filters, by, summed) if lookback is None else None
    if view is not None:
        return window(metric, span, filters, view)
    return growth(_selector(metric, filters), span, lookback)


def grown(metric: str, span: str, filters: str = "", by: str | None = None) -> str:
    """The growth of `metric` over `span` summed (by `by`), see per_series()."""
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} ({per_series(metric, span, filters, by or '', summed=True)})"


def by_step(metric: str, step: str, filters: str = "", by: str = "") -> str | None:
    """The growth of `metric` in the whole hours of the `step` that ends at each evaluation time,
    summed by `by`: for range queries and subqueries whose steps are whole hours (their evaluation
    times are multiples of the step). None where the hourly series do not hold it (see covers();
    the git counters' unscraped part is raw)."""
    view = view_for(metric, filters, by)
    if view is None or metric in _table()["scraped_only"]:
        return None
    grouping = f" by ({by})" if by else ""
    series = _selector(view.hourly, filters)
    return f"sum{grouping} (sum_over_time({series}[{step}] offset {HOUR_END_OFFSET}))"


def by_hour_and_weekday(metric: str, span: str, filters: str = "") -> str:
    """The growth of `metric` in each whole UTC hour of `span`, added up by the hour of the day
    (label `hour`) and the weekday (label `weekday`): promql.grid_by_hour_and_weekday over the
    hourly series, or over raw growth() where they do not hold the filters."""
    hour_total = by_step(metric, "1h", filters)
    if hour_total is None:
        hour_total = f"sum({growth(_selector(metric, filters), '1h', HOUR_LOOKBACK)})"
    return grid_by_hour_and_weekday(hour_total, span)
