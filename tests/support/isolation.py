"""Keep tests away from the person running them: their HOME, git config, agent and OTel settings.

Without this a test's `git commit` runs the developer's global hook and lands fake commits in
their real exporter, and OTEL_* variables point SDK clients at their real collector.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Variables that carry a person's setup: where git, agents and telemetry look and send.
CLEARED_PREFIXES = (
    "XDG_",  # unset, so every platform folder follows HOME
    "GIT_",
    "OTEL_",
    "AGENT_ANALYTICS_",
    "CLAUDE",
    "ANTHROPIC_",
    "GEMINI_",
    "CODEX_",
    "AIDER_",
    "CURSOR_",
    "COPILOT_",
)
CLEARED = ("AI_AGENT", "GITHUB_TOKEN", "GH_TOKEN")


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """Point HOME and git's global config at `home`; drop every variable of the person's setup."""
    for name in list(os.environ):
        if name.startswith(CLEARED_PREFIXES) or name in CLEARED:
            monkeypatch.delenv(name)
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    # Explicit, so git never reads the person's ~/.gitconfig even when a test moves HOME later.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return home
