"""A developer's workstation for tests: a temporary HOME, real git repositories, the CLI as typed.

`isolated_home` points HOME (and so git's global config, ~/.claude, ~/.codex, ~/.gemini and the
platform folders) at a temporary folder for the test; `cli(...)` runs `agent-analytics` in the
test process with typer's runner; `commit(...)` runs a real `git commit`, hooks included.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from agent_analytics.cli.app import app
from agent_analytics.workstation import hook_sender, hook_spool, paths
from tests.support import loopback
from tests.support.isolation import isolate

AUTHOR_EMAIL = "Ada.Lovelace@Example.com"


def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = isolate(monkeypatch, tmp_path / "home")
    # A hook's sender that finds the exporter away would retry for an hour, past the test and its
    # temporary HOME: here it tries once, as `hook flush` does. Tests of the retries set their own.
    monkeypatch.setenv(hook_sender.RETRY_VARIABLE, "0")
    git(home, "config", "--global", "user.email", AUTHOR_EMAIL)
    git(home, "config", "--global", "user.name", "Ada Lovelace")
    return home


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    out = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60
    )
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out


def make_repo(path: Path, origin: str | None = None) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    if origin:
        git(path, "remote", "add", "origin", origin)
    return path


def commit(
    repo: Path, files: dict[str, str], message: str, env: dict[str, str] | None = None
) -> tuple[str, subprocess.CompletedProcess]:
    """Write `files`, `git commit` them; returns the new sha and the commit's own output."""
    for name, text in files.items():
        (repo / name).write_text(text)
    git(repo, "add", *files)
    out = git(repo, "commit", "-q", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD").stdout.strip(), out


def hook_log(state: Path | None = None) -> list[str]:
    path = state / paths.HOOK_LOG if state else hook_sender.log_path()
    return path.read_text().splitlines() if path.exists() else []


def senders_settled(state: Path | None = None) -> bool:
    """Every sender a hook started has made its attempt (when the exporter is away, one of them
    may stay on to retry: hook_sender.retrying).

    A hook starts one sender per record it writes. A sender logs each record it reads (or sets
    aside) and one " sender: " line when its attempt is over; a record stays unread when its
    sender found another one sending that then failed. So: every record written, and as many
    sender lines as records read, set aside or left.
    """
    spool = state / paths.SPOOL if state else hook_sender.spool_dir()
    records = hook_spool.records(spool)
    if any(not path.read_bytes().endswith(hook_spool.END) for path in records):
        return False  # its hook is writing it, and has not started its sender yet
    lines = hook_log(state)
    read = sum(" commit " in line and (": read from " in line or ": set aside" in line) for line in lines)
    return read + len(records) > 0 and sum(" sender: " in line for line in lines) == read + len(records)


def cli(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)


def series_value(metrics_url: str, name: str, **labels: str) -> float:
    """The sum of the series `name` matching `labels` in a Prometheus text exposition (0 when none)."""
    text = loopback.get(metrics_url, timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )
