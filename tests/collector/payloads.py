"""Helpers of the collector tests: the recorded payloads, scraping /metrics."""

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


def scrape(service) -> dict[tuple[str, frozenset], float]:
    """Every sample of the collector's /metrics: (sample name, labels) -> value. Labels with an
    empty value are left out: Prometheus treats them as absent."""
    text = httpx.get(service.endpoints["metrics"], timeout=10).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset((k, v) for k, v in sample.labels.items() if v))
            assert key not in samples, f"duplicate series {key}"
            samples[key] = sample.value
    return samples


def only(samples: dict, prefix: str) -> dict:
    return {k: v for k, v in samples.items() if k[0].startswith(prefix)}
