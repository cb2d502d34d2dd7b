"""The demo history as it is built: counter increments and gauge samples by series, what a run
leaves for the next one to continue from, and the ground truth of any window."""

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ..openmetrics import Series, counter_samples
from .organisation import Developer

STATE_FILE = "agent-analytics-demo.json"  # beside the blocks in the TSDB folder; Prometheus ignores it


@dataclass
class DemoHistory:
    start: int
    end: int
    step: int
    developers: list[Developer]
    counters: dict[tuple, dict[int, float]] = field(default_factory=dict)  # (name, labels) -> {t: amount}
    gauges: dict[tuple, dict[int, float]] = field(default_factory=dict)
    offsets: dict[tuple, float] = field(default_factory=dict)  # counter values a previous run ended with
    vendor_carry: dict = field(default_factory=dict)  # see DemoState.vendor_carry

    def add(self, name: str, labels: dict[str, str], t: int, amount: float) -> None:
        if amount:
            per_time = self.counters.setdefault((name, tuple(sorted(labels.items()))), {})
            per_time[t] = per_time.get(t, 0.0) + amount

    def set(self, name: str, labels: dict[str, str], t: int, value: float) -> None:
        self.gauges.setdefault((name, tuple(sorted(labels.items()))), {})[t] = value

    def series(self) -> list[Series]:
        out = []
        for key in sorted(set(self.counters) | set(self.offsets)):
            samples = counter_samples(self.counters.get(key, {}), self.start, self.end, self.step)
            offset = self.offsets.get(key, 0.0)
            out.append(Series(key[0], dict(key[1]), "counter", [(t, v + offset) for t, v in samples]))
        out += [
            Series(name, dict(labels), "gauge", sorted(values.items()))
            for (name, labels), values in sorted(self.gauges.items())
        ]
        return out

    def resume_from(self, state: "DemoState") -> None:
        for key, value in state.totals.items():
            name, labels = json.loads(key)
            self.offsets[(name, tuple(tuple(pair) for pair in labels))] = value

    def state(self, seed: int) -> "DemoState":
        totals = dict(self.offsets)
        for key, per_time in self.counters.items():
            totals[key] = totals.get(key, 0.0) + sum(per_time.values())
        totals_json = {_state_key(*k): v for k, v in sorted(totals.items())}
        return DemoState(seed, len(self.developers), self.end, totals_json, self.vendor_carry)

    def total(
        self,
        name: str,
        since: int,
        until: int,
        by: tuple[str, ...] = (),
        where: Callable[[dict[str, str]], bool] = lambda labels: True,
    ) -> dict[tuple[str, ...], float]:
        """Sum of a counter's increments in (since, until], grouped by the labels `by`."""
        out: dict[tuple[str, ...], float] = {}
        for (series_name, labels), per_time in self.counters.items():
            labels_map = dict(labels)
            if series_name != name or not where(labels_map):
                continue
            amount = sum(v for t, v in per_time.items() if since < t <= until)
            key = tuple(labels_map.get(label, "") for label in by)
            out[key] = out.get(key, 0.0) + amount
        return out

    def gauge_samples(self, name: str, since: int, until: int, where=lambda labels: True) -> list[float]:
        """Values of a gauge sampled in [since, until] (Prometheus' closed range windows)."""
        return [
            v
            for (series_name, labels), values in self.gauges.items()
            if series_name == name and where(dict(labels))
            for t, v in values.items()
            if since <= t <= until
        ]


@dataclass
class DemoState:
    """What a demo run left in a TSDB, so the next run continues the same counters from there."""

    seed: int
    developers: int
    end: int
    totals: dict[str, float]  # series key (see _state_key) -> counter value at `end`
    # what the vendor reports of the day and month in progress at `end` hold so far (vendors.vendor_days)
    vendor_carry: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DemoState":
        return cls(**json.loads(text))


def _state_key(name: str, labels: tuple) -> str:
    return json.dumps([name, list(labels)])
