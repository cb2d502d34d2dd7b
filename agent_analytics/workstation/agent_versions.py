"""The installed release of each agent (its own `--version`), against the oldest release whose
telemetry the project has recorded (agent_versions.yaml)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import yaml

TABLE = Path(__file__).with_name("agent_versions.yaml")
VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


@functools.cache
def table() -> dict[str, dict]:
    return yaml.safe_load(TABLE.read_text())


def parse(text: str) -> tuple[int, int, int] | None:
    match = VERSION.search(text)
    return tuple(int(part) for part in match.groups()) if match else None  # type: ignore[return-value]


def installed(agent: str, path: str | None = None) -> str | None:
    """The version the agent's command prints, None when it is not on PATH or says nothing usable."""
    command = shutil.which(table()[agent]["command"], path=path)
    if command is None:
        return None
    try:
        out = subprocess.run(
            [command, "--version"], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = parse(out.stdout) or parse(out.stderr)
    return ".".join(map(str, version)) if version else None


def older_than_recorded(agent: str, version: str) -> bool:
    return parse(version) < parse(str(table()[agent]["oldest_recorded"]))  # type: ignore[operator]
