"""The Makefile as a newcomer meets it: `make up` needs no npm, and a missing python3-venv is named."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(ROOT), *args], capture_output=True, text=True, env=env, timeout=60)


def test_make_up_runs_no_npm_and_make_test_does():
    up = make("-n", "-B", "up")
    assert up.returncode == 0, up.stderr
    assert "agent-analytics up" in up.stdout
    assert "apt-get install -y -qq prometheus-alertmanager" in up.stdout  # `up` runs Alertmanager when installed
    assert "npm" not in up.stdout
    assert "npm ci" in make("-n", "-B", "test").stdout


def test_a_python_without_venv_support_is_named_with_the_package_to_install(tmp_path: Path):
    # Debian's python3 without the python3-venv package: `import ensurepip` fails.
    (tmp_path / "ensurepip.py").write_text("raise ImportError('ensurepip is not available')\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text(f'#!/bin/sh\nPYTHONPATH={tmp_path} exec {shutil.which("python3")} "$@"\n')
    (bin_dir / "python3").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    result = make("-s", "python-venv", env=env)
    assert result.returncode != 0
    install = "apt-get" if os.getuid() == 0 else "sudo apt-get"
    assert result.stderr.splitlines()[0] == (
        f"python3-venv is missing: install it with `{install} install python3-venv`, then run make again"
    )
