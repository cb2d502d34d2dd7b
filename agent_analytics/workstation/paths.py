"""Where the workstation keeps its config, hooks and spool (imported by the lean git hook too)."""

from pathlib import Path

import platformdirs

from agent_analytics.workstation import hook_runtime

APP = hook_runtime.APP


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def config_path() -> Path:
    return config_dir() / "config.yaml"


def state_dir() -> Path:
    """The platform's state folder (the git hook computes it: it cannot afford platformdirs)."""
    return Path(hook_runtime.state_dir())


def spool_dir() -> Path:
    """One capture file per commit the exporter has not acknowledged yet."""
    return Path(hook_runtime.spool_dir())


def managed_hooks_dir() -> Path:
    """The global hooks folder `hook install --global` creates when git has no core.hooksPath."""
    return config_dir() / "hooks"
