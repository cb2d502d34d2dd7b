"""A fixed workload for the OpenTelemetry SDK: counters, an up-down counter, a gauge and a
histogram, measured in rounds, and how to read the Prometheus page they end up on."""

from opentelemetry.sdk.metrics import Counter, Histogram, UpDownCounter
from opentelemetry.sdk.metrics import _Gauge as SyncGauge  # the SDK exports its synchronous gauge under this name
from opentelemetry.sdk.metrics.export import AggregationTemporality

DELTA = dict.fromkeys((Counter, Histogram, UpDownCounter, SyncGauge), AggregationTemporality.DELTA)
CUMULATIVE = dict.fromkeys((Counter, Histogram, UpDownCounter, SyncGauge), AggregationTemporality.CUMULATIVE)


class Instruments:
    def __init__(self, meter):
        self.requests = meter.create_counter("app.requests", unit="{request}", description="Requests served")
        self.cost = meter.create_counter("app.cost", unit="USD", description="Money spent")
        self.in_flight = meter.create_up_down_counter("app.in_flight", description="Requests in flight")
        self.temperature = meter.create_gauge("app.temperature", unit="Cel", description="Temperature")
        self.latency = meter.create_histogram("app.latency", unit="ms", description="Latency")


# Rounds of measurements; the exporters flush after each, so cumulative streams are seen
# several times and delta streams send several increments.
ROUNDS = [
    [
        ("requests", 3, {"route": "/a"}),
        ("cost", 0.25, {"model": "m1"}),
        ("in_flight", 4, {}),
        ("temperature", 21.5, {"room": "x"}),
        ("latency", 12.0, {"route": "/a"}),
        ("latency", 700.0, {"route": "/a"}),
    ],
    [
        ("requests", 2, {"route": "/a"}),
        ("requests", 5, {"route": "/b"}),
        ("cost", 0.5, {"model": "m1"}),
        ("in_flight", -3, {}),
        ("temperature", 19.0, {"room": "x"}),
        ("latency", 3.5, {"route": "/b"}),
    ],
    [
        ("requests", 1, {"route": "/b"}),
        ("cost", 1.125, {"model": "m2"}),
        ("in_flight", 2, {}),
        ("latency", 0.5, {"route": "/a"}),
        ("latency", 12000.0, {"route": "/a"}),
    ],
]


def record(instruments: Instruments, measurements, client: str) -> None:
    for name, value, attributes in measurements:
        instrument = getattr(instruments, name)
        attributes = {**attributes, "client": client}
        if name == "temperature":
            instrument.set(value, attributes)
        elif name == "latency":
            instrument.record(value, attributes)
        else:
            instrument.add(value, attributes)
