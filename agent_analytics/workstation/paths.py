"""Where the workstation keeps its config, hooks and spool."""

from pathlib import Path

import platformdirs

from agent_analytics.config.paths import APP

SPOOL = "spool"
HOOK_LOG = "hook.log"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def config_path() -> Path:
    return config_dir() / "config.yaml"


def state_dir() -> Path:
    """The platform's state folder (the git hook names the same folder in shell: hook_install)."""
    return Path(platformdirs.user_state_dir(APP))


def spool_dir() -> Path:
    """One file per commit the exporter has not acknowledged yet."""
    return state_dir() / SPOOL


def hook_log_path() -> Path:
    """One line per commit read and per send attempt, and what the hook could not do (kept short)."""
    return state_dir() / HOOK_LOG


def managed_hooks_dir() -> Path:
    """The global hooks folder `hook install --global` creates when git has no core.hooksPath."""
    return config_dir() / "hooks"
