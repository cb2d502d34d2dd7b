"""PromQL shared by `report`, the dashboards and the recording rules."""

import re


def growth(selector: str, window: str, lookback: str | None = None) -> str:
    """How much the counters matching `selector` grew in `window` (ending at evaluation time), per series.

    - The last value in the window minus the last value before it, found within `lookback`
      (default: one window) before the window: exact (increase() extrapolates), and range
      selectors find series that are no longer exposed or sampled sparsely (demo, backfill),
      which instant selectors miss after 5 minutes.
    - increase() where the counter reset within the window, as the difference is wrong there.
    - The whole last value where the series has no earlier value within `lookback` (a series
      born inside the window already holds its first usage in its first value), or where the
      difference is negative (the counter started again before the window).

    A gap in the samples longer than `lookback` (Prometheus down, the collector unreachable)
    makes an old series look new and counts its whole value: recording rules over short windows,
    evaluated every minute and read by the budget alerts, pass a lookback of a day or more.
    """
    now = f"last_over_time({selector}[{window}])"
    before = f"last_over_time({selector}[{lookback or window}] offset {window})"
    reset = f"(resets({selector}[{window}]) > 0)"
    return f"(((({now} - {before}) >= 0) unless {reset}) or (increase({selector}[{window}]) and {reset}) or {now})"


WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")  # day_of_week() 0..6


def grid_by_hour_and_weekday(hour_total: str, span: str) -> str:
    """`hour_total` (a single series: the growth in the hour that ends at evaluation time) of each
    whole UTC hour of `span`, added up by the hour of the day (label `hour`, 0-23) and the weekday
    (label `weekday`, 0 = Sunday) that hour fell in.

    A 1-hour subquery step evaluates `hour_total` at each full hour; the hour and weekday are those
    of the second before, made labels with count_values() and attached to the hour's total. The
    hour in progress at the end of `span` is not counted."""
    ended = "vector(time() - 1)"
    cell = (
        f'({hour_total} * on() group_left(hour) count_values("hour", hour({ended})))'
        f' * on() group_left(weekday) count_values("weekday", day_of_week({ended}))'
    )
    return f"sum by (weekday, hour) (sum_over_time(({cell})[{span}:1h]))"


def selector(metric: str, labels: str = "") -> str:
    """`metric` (a name, or a {__name__=~...} selector) with the label matchers `labels` added."""
    if not labels:
        return metric
    if metric.startswith("{"):
        return metric[:-1] + ", " + labels + "}"
    return f"{metric}{{{labels}}}"


def latest(metric: str, labels: str = "", span: str = "$__range") -> str:
    """The newest value of a gauge within `span`, per series.

    A bare gauge selector only finds a sample from the last 5 minutes: Copilot, seat and
    configuration gauges of demo or backfilled history (one sample an hour) or of an exporter
    that stopped would blank the figure although the window holds their values."""
    return f"last_over_time({selector(metric, labels)}[{span}])"


DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_DURATION = re.compile(r"(\d+)(ms|[smhdwy])")


def duration_seconds(text: str) -> float | None:
    """The seconds of a Prometheus duration ("30d", "1h30m", "2w"), or None if `text` is not one."""
    parts = _DURATION.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        return None
    return sum(int(n) * DURATION_UNITS[u] for n, u in parts)
