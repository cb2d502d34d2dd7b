"""PromQL shared by `report`, the dashboards and the recording rules."""


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
