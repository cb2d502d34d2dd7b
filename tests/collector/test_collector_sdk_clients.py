"""The OpenTelemetry Python SDK's own OTLP exporters (gRPC and HTTP, delta and cumulative) pushing
counters, up-down counters, gauges and histograms to the collector: its /metrics says what the
SDK's in-process Prometheus reader says about the same measurements, in both forms (embedded
collector and the built OpenTelemetry Collector)."""

from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest

from tests.collector.payloads import scrape_until, series_diff
from tests.collector.sdk_workload import CUMULATIVE, DELTA, ROUNDS, Instruments, record
from tests.support.scrape import parse


def test_sdk_otlp_exporters_give_the_same_totals_as_the_sdk_prometheus_reader(start_form):
    service = start_form()
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
        expected = parse(generate_latest(registry).decode()).series("app_")
        got = scrape_until(service, "app_", expected)
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
    assert got == expected, series_diff(got, expected)
    # spot checks against the measurements themselves
    for client in clients:
        assert got[("app_requests_total", frozenset({"route": "/b", "client": client}.items()))] == 6
        assert got[("app_in_flight", frozenset({"client": client}.items()))] == 3
        assert got[("app_temperature_celsius", frozenset({"room": "x", "client": client}.items()))] == 19.0
        count = ("app_latency_milliseconds_count", frozenset({"route": "/a", "client": client}.items()))
        assert got[count] == 4
