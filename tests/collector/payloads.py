"""Helpers of the collector tests: the recorded payloads, scraping /metrics."""

import time
from pathlib import Path

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from tests.support.scrape import scrape


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
        got = scrape(service).series(prefix)
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.1)
