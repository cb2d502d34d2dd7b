import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so tests can import tests.support

from tests.support.docs_site import build_site  # noqa: E402
from tests.support.isolation import isolate  # noqa: E402

# the stack of live data that dashboard and history tests query
pytest_plugins = ["tests.support.live_stack"]

# Payloads recorded from the real Claude Code CLI (OTLP/HTTP bodies: *.pb protobuf, *.json JSON).
CLAUDE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "claude-code"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The `long` modules and classes first (in their own order, the rest after in theirs): each
    worker takes a module at a time, and a long one picked up last would leave the others idle."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(scope="session")
def claude_fixtures() -> Path:
    return CLAUDE_FIXTURES


@pytest.fixture(scope="session", autouse=True)
def isolated_session(tmp_path_factory):
    """Servers that session and module fixtures start see no trace of the person running the suite."""
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, tmp_path_factory.mktemp("session-home"))
        yield


@pytest.fixture(autouse=True)
def isolated_test(tmp_path_factory, monkeypatch):
    """Each test gets its own HOME (and so config, state and data folders) and git global config."""
    return isolate(monkeypatch, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory):
    """The documentation site, built once per session with `mkdocs build --strict`."""
    site = build_site(tmp_path_factory.mktemp("site"))
    assert site.returncode == 0, site.output
    return site
