"""Series with timestamped samples, written as OpenMetrics text for `promtool tsdb create-blocks-from`.

promtool appends the samples of each series in file order, so every series is written as one
run of samples sorted by time, and the samples of one metric family stay together.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Series:
    name: str  # the sample name as Prometheus stores it, e.g. claude_code_cost_usage_USD_total
    labels: dict[str, str]
    kind: str = "counter"  # counter | gauge
    samples: list[tuple[float, float]] = field(default_factory=list)  # (unix seconds, value), time-ordered

    @property
    def family(self) -> str:
        return self.name[: -len("_total")] if self.kind == "counter" and self.name.endswith("_total") else self.name


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))


def write_openmetrics(series: Iterable[Series], out: TextIO) -> int:
    """Write all series; returns the number of samples written."""
    families: dict[str, list[Series]] = {}
    for s in series:
        families.setdefault(s.family, []).append(s)
    written = 0
    for family, members in families.items():
        out.write(f"# TYPE {family} {members[0].kind}\n")
        for s in members:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(s.labels.items()))
            prefix = f"{s.name}{{{labels}}} " if labels else f"{s.name} "
            out.writelines(f"{prefix}{_number(v)} {t}\n" for t, v in s.samples)
            written += len(s.samples)
    out.write("# EOF\n")
    return written


def bucket_end(timestamp: float, step: int) -> int:
    """The grid time that closes the bucket holding `timestamp`: buckets are (t - step, t]."""
    t = int(timestamp)
    return t if t % step == 0 and t == timestamp else (t // step + 1) * step


def counter_samples(increments: dict[int, float], start: int, end: int, step: int) -> list[tuple[int, float]]:
    """A counter sampled on every grid point from `start` (value 0) up to `end`, running totals.

    `increments` maps grid times (bucket ends, see `bucket_end`) or `end` itself to the amount
    added in that bucket; `end` gets a last sample even when it is not on the grid. A sample on
    every grid point keeps `increase(x[w])` exact for windows on the grid, where a gap would
    leave a window with a single sample.
    """
    stray = [t for t in increments if t <= start or t > end or ((t - start) % step and t != end)]
    if stray:
        raise ValueError(f"increment at {stray[0]} is not a grid point in ({start}, {end}]")
    times = list(range(start, end + 1, step))
    if times[-1] != end:
        times.append(end)
    samples = []
    total = 0.0
    for t in times:
        total += increments.get(t, 0.0)
        samples.append((t, total))
    return samples
