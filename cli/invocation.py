"""How to run this same `agent-analytics` again: what the commands print for the user to type."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

NAME = "agent-analytics"


def command() -> str:
    """`agent-analytics` when that name on PATH is this program, else the path it was started with."""
    started = sys.argv[0]
    if Path(started).name == "__main__.py":  # python -m agent_analytics.cli
        return f"{shlex.quote(sys.executable)} -m agent_analytics.cli"
    own = Path(started if "/" in started else shutil.which(started) or started).resolve()
    on_path = shutil.which(NAME)
    if on_path and Path(on_path).resolve() == own:
        return NAME
    return shlex.quote(str(own))


def program() -> list[str]:
    """This program as a command another process can run whatever its PATH and folder (a service manager)."""
    started = sys.argv[0]
    if Path(started).name == "__main__.py":  # python -m agent_analytics.cli
        return [sys.executable, "-m", "agent_analytics.cli"]
    return [str(Path(started if "/" in started else shutil.which(started) or started).resolve())]
