"""promtool, as the rule tests run it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Go collects garbage when the heap has grown 400% instead of 100%: a rule test evaluates
# thousands of times and allocates anew each time, and this takes a fifth off its CPU time.
GARBAGE = {"GOGC": "400"}
UNIT_TESTS = sorted((ROOT / "prometheus" / "tests").glob("*.yml"))


def promtool(*args: str, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    binary = shutil.which("promtool")
    assert binary, "promtool not found: sudo apt-get install prometheus"
    return subprocess.run(
        [binary, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout, env={**os.environ, **GARBAGE}
    )


def unit_test_passes(name: str) -> None:
    done = promtool("test", "rules", str(ROOT / "prometheus" / "tests" / f"{name}.yml"), timeout=590)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == 1
