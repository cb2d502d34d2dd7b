"""Fixtures of the real-client checks: an embedded collector, the model stand-in, a fresh
workstation (HOME with a git repository) per client run."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent_analytics.collector.config import load_config
from agent_analytics.collector.service import CollectorService
from tests.real_clients import clients
from tests.support.model_standins import ModelStandIn


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[CollectorService]:
    service = CollectorService(load_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=tmp_path / "c"))
    service.start()
    yield service
    service.stop()


@pytest.fixture
def model() -> Iterator[ModelStandIn]:
    with ModelStandIn() as standin:
        yield standin


@pytest.fixture
def workstation(tmp_path: Path) -> Callable[[str], tuple[Path, Path]]:
    """A fresh (home, repo) pair; the repo is a real git repository with one commit."""
    return lambda name: clients.make_workstation(tmp_path / name)
