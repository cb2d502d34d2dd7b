"""The OpenTelemetry Python SDK's own OTLP exporters (gRPC and HTTP, delta and cumulative) pushing
counters, up-down counters, gauges and histograms to the collector: its /metrics says what the
SDK's in-process Prometheus reader says about the same measurements."""

from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider, UpDownCounter
from opentelemetry.sdk.metrics import _Gauge as SyncGauge
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.collector.payloads import only, scrape

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


def samples_of(text: str, prefix: str) -> dict:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith(prefix):
                out[(sample.name, frozenset((k, v) for k, v in sample.labels.items() if v))] = sample.value
    return out


def test_sdk_otlp_exporters_give_the_same_totals_as_the_sdk_prometheus_reader(start_collector):
    service = start_collector()
    http_url = f"{service.endpoints['otlp_http']}/v1/metrics"
    grpc_endpoint = service.endpoints["otlp_grpc"]
    clients = {
        "grpc-delta": GrpcExporter(endpoint=grpc_endpoint, insecure=True, preferred_temporality=DELTA),
        "grpc-cumulative": GrpcExporter(endpoint=grpc_endpoint, insecure=True, preferred_temporality=CUMULATIVE),
        "http-delta": HttpExporter(endpoint=http_url, preferred_temporality=DELTA),
        "http-cumulative": HttpExporter(endpoint=http_url, preferred_temporality=CUMULATIVE),
    }
    resource = Resource.create({"service.name": "sdk-test"})
    providers = {}
    for client, exporter in clients.items():
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        providers[client] = (MeterProvider([reader], resource=resource), reader)

    # the reference: the SDK's own Prometheus reader, in process, fed the same measurements
    registry = CollectorRegistry()
    reference_reader = PrometheusMetricReader(disable_target_info=True, scope_info_enabled=False, registry=registry)
    reference = MeterProvider([reference_reader], resource=resource)
    reference_instruments = Instruments(reference.get_meter("test"))
    instruments = {client: Instruments(provider.get_meter("test")) for client, (provider, _) in providers.items()}

    try:
        for measurements in ROUNDS:
            for client, (_, reader) in providers.items():
                record(instruments[client], measurements, client)
                record(reference_instruments, measurements, client)
                assert reader.force_flush(timeout_millis=10_000)
        expected = samples_of(generate_latest(registry).decode(), "app_")
        got = only(scrape(service), "app_")
    finally:
        for provider, _ in providers.values():
            provider.shutdown()
        reference.shutdown()

    assert {name for name, _ in expected} == {
        "app_requests_total",
        "app_cost_USD_total",
        "app_in_flight",
        "app_temperature_celsius",
        "app_latency_milliseconds_bucket",
        "app_latency_milliseconds_count",
        "app_latency_milliseconds_sum",
    }
    assert got == expected
    # spot checks against the measurements themselves
    for client in clients:
        assert got[("app_requests_total", frozenset({"route": "/b", "client": client}.items()))] == 6
        assert got[("app_in_flight", frozenset({"client": client}.items()))] == 3
        assert got[("app_temperature_celsius", frozenset({"room": "x", "client": client}.items()))] == 19.0
        count = ("app_latency_milliseconds_count", frozenset({"route": "/a", "client": client}.items()))
        assert got[count] == 4
