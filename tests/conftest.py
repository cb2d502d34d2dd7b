import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so tests can import tests.support

from tests.support.docs_site import build_site  # noqa: E402
from tests.support.isolation import isolate  # noqa: E402

# the session-wide stack of live data that dashboard and history tests query
pytest_plugins = ["tests.support.live_stack"]

# Payloads recorded from the real Claude Code CLI (OTLP/HTTP bodies: *.pb protobuf, *.json JSON).
CLAUDE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "claude-code"


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
