import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so tests can import tests.support

# Payloads recorded from the real Claude Code CLI (OTLP/HTTP bodies: *.pb protobuf, *.json JSON).
CLAUDE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "claude-code"


@pytest.fixture(scope="session")
def claude_fixtures() -> Path:
    return CLAUDE_FIXTURES
