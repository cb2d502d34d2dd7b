"""Upstream Go programs the tests run (the OpenTelemetry Collector, Thanos), built from their
published modules into the user cache, in a folder named after the build manifest's hash: a fresh
clone on the same machine reuses a build, and a changed manifest gets a new one."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Read once, at import (collection), before the suite gives every test a HOME of its own: the
# builds are the person's, cached between runs.
CACHE_ROOT = Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "agent-analytics"


def cache_root() -> Path:
    return CACHE_ROOT


def build_folder(name: str, *manifests: Path) -> Path:
    """The cache folder of one build: `name` and the hash of the files that define it."""
    digest = hashlib.sha256(b"".join(m.read_bytes() for m in manifests if m.exists())).hexdigest()[:12]
    return cache_root() / f"{name}-{digest}"


def build_once(
    target: Path, what: str, prepare: Callable[[Path], list[tuple[list[str], Path]]], env: dict[str, str], built: Path
) -> Path:
    """Build `target` unless it is there: `prepare(folder)` writes the sources' manifest into the
    target's folder and returns the commands to run (command, working folder); `built` is what they
    produce, copied into place only once every command succeeded. Returns the target."""
    if target.exists():
        return target
    if shutil.which("go") is None:
        raise RuntimeError(f"go not found on PATH: install Go 1.26 or newer to build {what}")
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        # two checkouts building at once: the second waits and finds the binary
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        started = time.monotonic()
        for command, cwd in prepare(folder):
            if subprocess.run(command, cwd=cwd, env=env).returncode != 0:
                raise RuntimeError(f"building {what} failed (output above); folder {folder}")
        tmp = target.with_name(target.name + ".tmp")
        shutil.copy2(built, tmp)
        tmp.replace(target)
        print(f"built {target} in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return target


def require_built(target: Path, what: str, make_target: str) -> Path:
    """`target` once it has been built; otherwise the error that names the make target building it."""
    if not target.exists():
        raise RuntimeError(f"{what} is not built: run `make {make_target}` (builds {target})")
    return target


def main(build: Callable[[], Path]) -> None:
    """`python -m tests.support.<program>` (make otelcol, make thanos): build it once and print its
    path; a failed build is one line and exit 1."""
    with contextlib.suppress(KeyboardInterrupt):
        try:
            print(build())
        except RuntimeError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(1)
