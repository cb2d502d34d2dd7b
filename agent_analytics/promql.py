"""PromQL shared by `report`, the dashboards and the recording rules."""


def growth(selector: str, window: str) -> str:
    """How much the counters matching `selector` grew in `window` (ending at evaluation time), per series.

    - The last value in the window minus the last value in the equal span before it: exact
      (increase() extrapolates), and range selectors find series that are no longer exposed or
      sampled sparsely (demo, backfill), which instant selectors miss after 5 minutes.
    - increase() where the counter reset within the window, as the difference is wrong there.
    - The whole last value where the series has no value in that earlier span: a series born
      inside the window already holds its first usage in its first value.
    """
    now = f"last_over_time({selector}[{window}])"
    before = f"last_over_time({selector}[{window}] offset {window})"
    reset = f"(resets({selector}[{window}]) > 0)"
    return f"((({now} - {before}) unless {reset}) or (increase({selector}[{window}]) and {reset}) or {now})"
