"""The built wheel, installed outside the checkout, runs `demo`, `up` (a real Prometheus) and `report`.

Dependencies come from the suite's own environment (a path entry, not an install) so the test
stays quick; agent_analytics itself comes only from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from agent_analytics.history.demo.generate import generate
from tests.conftest import ROOT
from tests.support import loopback
from tests.support.demo_spend import spend_truth
from tests.support.net import free_port

pytestmark = pytest.mark.prometheus

SOURCES = (
    "pyproject.toml",
    "README.md",
    "agent_analytics",
    "collector",
    "exporter",
    "cli",
    "prometheus",
    "grafana",
    "loki",
)
END = 1_763_478_000  # 2025-11-18 15:00 UTC, on the hour
DEVELOPERS, DAYS, SEED = 3, 3, 5


def build_wheel(work: Path) -> Path:
    # From a copy: building in the checkout would leave build/ and egg-info beside the editable install.
    source = work / "source"
    source.mkdir(parents=True)
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert built.returncode == 0, built.stderr
    assert "Warning" not in built.stderr, built.stderr  # setuptools has nothing to complain about
    (wheel,) = (work / "dist").glob("agent_analytics-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python)]
    subprocess.run([*pip, "install", "-q", "--no-deps", str(wheel)], check=True, timeout=180)
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    # The suite's dependencies, as a plain path entry: its .pth files (the editable install) do not run.
    (site / "suite-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv / "bin" / "agent-analytics"


def test_the_installed_wheel_runs_demo_up_and_report(tmp_path):
    wheel = build_wheel(tmp_path / "build")
    command = install(wheel, tmp_path / "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PATH": f"{command.parent}:{os.path.dirname(shutil.which('prometheus'))}:/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(command), *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stderr
        return result

    python = command.parent / "python"
    where = subprocess.check_output(
        [python, "-c", "import agent_analytics; print(agent_analytics.__file__)"], cwd=elsewhere, env=env, text=True
    )
    assert where.startswith(str(tmp_path / "venv")), where

    data_dir = tmp_path / "data"
    demo = ["--developers", str(DEVELOPERS), "--days", str(DAYS), "--seed", str(SEED), "--end", str(END)]
    assert run("demo", *demo, "--data-dir", str(data_dir)).stdout.startswith("Wrote demo history")

    ports = {
        flag: free_port()
        for flag in ("otlp-grpc", "otlp-http", "collector-metrics", "exporter", "prometheus", "alertmanager")
    }
    args = [arg for flag, port in ports.items() for arg in (f"--{flag}-port", str(port))]
    up = subprocess.Popen(
        [str(command), "up", "--json", "--data-dir", str(data_dir), *args],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        endpoints = json.loads(up.stdout.readline() or "null") or pytest.fail(up.stderr.read())
        prometheus = endpoints["prometheus"]
        # The rule files came with the wheel: Prometheus loaded every rule of the repository's files.
        shipped = sum(
            len(group["rules"])
            for path in sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
            for group in yaml.safe_load(path.read_text())["groups"]
        )
        groups = loopback.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
        assert sum(len(g["rules"]) for g in groups) == shipped > 0

        report = json.loads(
            run("report", "--prometheus", prometheus, "--range", "7d", "--at", str(END), "--json").stdout
        )
        history = generate(DEVELOPERS, DAYS, seed=SEED, end=END)
        spent = sum(spend_truth((history,), END - 7 * 86400, END).values())  # every agent
        assert report["spend"]["usage_usd"] == pytest.approx(spent, abs=0.005)  # in cents
        assert spent > 0
    finally:
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0, up.stderr.read()
