"""Where the workstation keeps its config, hooks and spool (imported by the lean git hook too)."""

from pathlib import Path

import platformdirs

APP = "agent-analytics"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def config_path() -> Path:
    return config_dir() / "config.yaml"


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP))


def spool_dir() -> Path:
    """One JSON file per commit the exporter has not acknowledged yet."""
    return state_dir() / "spool"


def managed_hooks_dir() -> Path:
    """The global hooks folder `hook install --global` creates when git has no core.hooksPath."""
    return config_dir() / "hooks"
