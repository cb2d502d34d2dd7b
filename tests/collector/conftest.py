"""Fixtures of the collector tests: an in-process collector on free ports, the recorded payloads."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent_analytics.collector.config import load_config
from agent_analytics.collector.service import CollectorService
from tests.support.otelcol import Otelcol


@pytest.fixture
def start_collector(tmp_path: Path) -> Iterator[Callable[..., CollectorService]]:
    """Start a CollectorService on free ports with settings as keyword overrides."""
    started: list[CollectorService] = []

    def start(**settings) -> CollectorService:
        settings.setdefault("data_dir", tmp_path / f"collector-{len(started)}")
        service = CollectorService(load_config(None, grpc_port=0, http_port=0, metrics_port=0, **settings))
        started.append(service.start())
        return service

    yield start
    for service in started:
        service.stop()


# The team stack's collector, for the tests that hold for both forms. Its batch timeout is cut
# from 5s so that a test does not wait for it; nothing else of collector/otelcol.yaml changes.
FAST_BATCH = {"processors": {"batch": {"timeout": "100ms"}}}


@pytest.fixture
def start_otelcol() -> Iterator[Callable[..., Otelcol]]:
    """Start the built OpenTelemetry Collector with collector/otelcol.yaml on free ports."""
    started: list[Otelcol] = []

    def start(**options) -> Otelcol:
        options.setdefault("overrides", FAST_BATCH)
        collector = Otelcol(**options)
        started.append(collector)
        return collector.start()

    yield start
    for collector in started:
        collector.__exit__()


@pytest.fixture(params=["embedded", "otelcol"])
def start_form(request, start_collector, start_otelcol) -> Callable:
    """One conformance suite, two forms: starts the embedded collector or the built otelcol.
    Both answer `.endpoints` (otlp_http, otlp_grpc, metrics) and `.metrics_port`."""
    form = request.param

    def start(loki_url: str | None = None):
        if form == "embedded":
            return start_collector(**({"loki_url": loki_url} if loki_url else {}))
        return start_otelcol(loki_url=loki_url)

    start.form = form
    return start
