"""Fixtures of the collector tests: an in-process collector on free ports, the recorded payloads."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent_analytics.collector.config import load_config
from agent_analytics.collector.service import CollectorService


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
