"""Helpers of the collector tests: the recorded payloads, scraping /metrics."""

import time
from pathlib import Path

import httpx
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from prometheus_client.parser import text_string_to_metric_families


def load_payloads(folder: Path, signal: str) -> list[tuple[str, object]]:
    """(file name, request message) of every recorded body of `signal`, protobuf or JSON."""
    request_type = ExportMetricsServiceRequest if signal == "metrics" else ExportLogsServiceRequest
    out = []
    for path in sorted(folder.glob(f"*.{signal}*")):
        body = path.read_bytes()
        if path.suffix == ".pb":
            out.append((path.name, request_type.FromString(body)))
        else:
            out.append((path.name, json_format.Parse(body, request_type())))
    return out


def label_value(name: str, value: str) -> str:
    """A bucket bound as one spelling: the Python exporter writes le="10.0", the Collector's
    le="10" (Prometheus 3 stores both as "10.0"; histogram_quantile reads either)."""
    return repr(float(value)).replace("inf", "+Inf") if name == "le" else value


def scrape(service) -> dict[tuple[str, frozenset], float]:
    """Every sample of the collector's /metrics: (sample name, labels) -> value. Labels with an
    empty value are left out: Prometheus treats them as absent."""
    text = httpx.get(service.endpoints["metrics"], timeout=10).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset((k, label_value(k, v)) for k, v in sample.labels.items() if v))
            assert key not in samples, f"duplicate series {key}"
            samples[key] = sample.value
    return samples


def only(samples: dict, prefix: str) -> dict:
    return {k: v for k, v in samples.items() if k[0].startswith(prefix)}


def series_diff(got: dict, expected: dict) -> str:
    """What differs between two scrapes, one line per series: missing, unexpected, other value."""
    lines = [f"missing    {k[0]}{dict(sorted(k[1]))} = {expected[k]}" for k in expected.keys() - got.keys()]
    lines += [f"unexpected {k[0]}{dict(sorted(k[1]))} = {got[k]}" for k in got.keys() - expected.keys()]
    lines += [
        f"value      {k[0]}{dict(sorted(k[1]))} = {got[k]}, expected {expected[k]}"
        for k in got.keys() & expected.keys()
        if got[k] != expected[k]
    ]
    return "\n".join(sorted(lines))


def scrape_until(service, prefix: str, expected: dict, timeout: float = 10.0) -> dict:
    """The samples under `prefix` once they equal `expected` (the team collector hands points on
    after its batch timeout); the last scrape when they never do."""
    deadline = time.monotonic() + timeout
    while True:
        got = only(scrape(service), prefix)
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.1)
