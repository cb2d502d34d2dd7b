"""`doctor` reads each agent's installed release from the agent's own `--version` and warns when it
is older than the oldest release whose telemetry the project has recorded."""

import os
import stat
from pathlib import Path

import pytest

from agent_analytics.workstation import agent_versions
from agent_analytics.workstation import config as workstation
from agent_analytics.workstation.agent_settings import WRITERS
from agent_analytics.workstation.doctor_checks import OK, WARN, check_agent


def release(bin_dir: Path, command: str, output: str) -> None:
    """An executable printing `output` for --version, as that release of the agent does."""
    path = bin_dir / command
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def configured(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    ws = workstation.Workstation(endpoint="http://collector:4318", developer_id="ana@example.com")
    for writer in WRITERS.values():
        writer.apply(ws, home)
    return ws, home, bin_dir


@pytest.mark.parametrize(
    ("agent", "command", "printed", "version"),
    [
        ("claude-code", "claude", "2.1.150 (Claude Code)", "2.1.150"),
        ("gemini-cli", "gemini", "0.60.1", "0.60.1"),
        ("codex", "codex", "codex-cli 0.170.9", "0.170.9"),
        ("copilot-cli", "copilot", "GitHub Copilot CLI 1.0.99.", "1.0.99"),
    ],
)
def test_an_older_release_than_recorded_is_a_warning_with_the_fix(configured, agent, command, printed, version):
    ws, home, bin_dir = configured
    release(bin_dir, command, printed)
    check = check_agent(ws, agent, home)
    oldest = agent_versions.table()[agent]["oldest_recorded"]
    assert check.status == WARN
    assert f"{agent} {version} is older than {oldest}" in check.detail
    assert check.fix == f"update {agent} to {oldest} or later"


def test_recorded_or_newer_releases_pass_and_are_named(configured):
    ws, home, bin_dir = configured
    release(bin_dir, "claude", "2.1.332 (Claude Code)")
    release(bin_dir, "codex", "codex-cli 0.171.0")
    assert (check_agent(ws, "claude-code", home).status, check_agent(ws, "codex", home).status) == (OK, OK)
    assert check_agent(ws, "claude-code", home).detail.endswith("(claude-code 2.1.332)")
    # not installed: the settings are still checked, and the detail says so
    gemini = check_agent(ws, "gemini-cli", home)
    assert gemini.status == OK and gemini.detail.endswith("(gemini not found on PATH)")


def test_copilot_cli_environment_file_names_the_developer(configured):
    ws, home, _ = configured
    from agent_analytics.workstation.agent_settings import copilot_cli

    env = copilot_cli.read(home)
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector:4318"
    assert env["OTEL_RESOURCE_ATTRIBUTES"] == "developer.id=ana@example.com"
    assert copilot_cli.problems(ws, home) == []
    drifted = workstation.Workstation(endpoint="http://other:4318", developer_id="ana@example.com")
    assert copilot_cli.problems(drifted, home) == [
        f"OTEL_EXPORTER_OTLP_ENDPOINT in {copilot_cli.path(home)} is 'http://collector:4318', expected"
        " 'http://other:4318'"
    ]
