"""The status line bridge: Claude Code's one status line command, put in place by `init`, that runs
the developer's own status line command and hands the plan limits of its input to the sender.

Claude Code runs the `statusLine` command of ~/.claude/settings.json through `/bin/sh -c` on every
status line refresh, with a JSON document on stdin, and shows what it prints. Installing puts a
small POSIX shell script there instead, with the command that was configured written into it,
and keeps the `statusLine` value it replaced; uninstalling puts that value back as it was (or
removes the key if there was none).

The script is shell, not Python, because it runs on every refresh: an interpreter start alone
costs more than the few milliseconds it may add (tests/bench/bench_statusline.py). The command in
the settings is `. <script>`, so Claude Code's own shell reads it and no extra process starts. On
most refreshes it only `exec`s `/bin/sh -c <the developer's command>`, exactly what Claude Code
would have run: the command reads the same stdin and owns the output, the exit status and any
signal that ends it. At most once a minute (the sender moves the mtime of `next-send` a minute
ahead) it first copies the input to a file, starts the sender in the background with that copy,
and runs the command on the copy: the same bytes, read from a file. Nothing on that path touches
the network.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from agent_analytics.workstation import statusline_sender
from agent_analytics.workstation.agent_settings import claude_code
from agent_analytics.workstation.agent_settings.common import SettingsError, read_json, write_json
from agent_analytics.workstation.config import config_dir, write_text_if_changed

KEY = "statusLine"
BRIDGE_NAME = "agent-analytics-statusline"
MARKER = "# agent-analytics status line bridge"
SENDER = "agent_analytics.workstation.statusline_sender"


def bridge_dir() -> Path:
    return config_dir() / "statusline"


def bridge_path() -> Path:
    return bridge_dir() / BRIDGE_NAME


def original_path() -> Path:
    """The `statusLine` value the bridge replaced: {"statusLine": value}, or {} when there was none."""
    return bridge_dir() / "original.json"


def bridge_command() -> str:
    """Read by Claude Code's own `/bin/sh -c`: no second shell starts before the developer's command's."""
    return f". {shlex.quote(str(bridge_path()))}"


def bridge_script(own: str, state: Path, python: str) -> str:
    return f"""#!/bin/sh
{MARKER}: Claude Code's shell reads this (`. <this file>`) on every
# status line refresh.
# It runs the status line command configured before (`aa_own`) on the same input, so what it prints
# and how it exits are that command's own. At most once a minute it first keeps a copy of the
# input and starts the sender in the background, at the lowest priority, which sends the plan
# limits (`rate_limits`) to the collector; nothing here waits for it. Written by
# `agent-analytics statusline install` (and `init`); `agent-analytics statusline uninstall` puts
# the status line back as it was.
# (Names of its own: read by Claude Code's shell, it must not set a variable that shell exports.)
aa_own={shlex.quote(own)}
aa_state={shlex.quote(str(state))}
aa_python={shlex.quote(python)}
if {{ echo >"$aa_state/now"; }} 2>/dev/null && ! [ "$aa_state/next-send" -nt "$aa_state/now" ] && [ -x "$aa_python" ]
then
    aa_input="$aa_state/input.$$"
    cat >"$aa_input" 2>/dev/null
    nice -n 19 "$aa_python" -m {SENDER} "$aa_input" </dev/null >/dev/null 2>&1 &
    exec /bin/sh -c "$aa_own" <"$aa_input"
fi
exec /bin/sh -c "$aa_own"
"""


class BridgeError(Exception):
    """The bridge cannot be installed or removed; the message says what to do."""


@dataclass
class BridgeChange:
    settings: Path
    action: str  # installed | unchanged | removed | absent
    own: str  # the developer's own status line command ("" for none)

    def as_dict(self) -> dict:
        return {"settings": str(self.settings), "action": self.action, "own_command": self.own}


def is_bridge(value: object) -> bool:
    return isinstance(value, dict) and value.get("command") == bridge_command()


def _saved() -> dict | None:
    try:
        saved = json.loads(original_path().read_text())
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


def own_command(replaced: dict) -> str:
    value = replaced.get(KEY)
    command = value.get("command") if isinstance(value, dict) else None
    return command if isinstance(command, str) else ""


def install(home: Path, python: str | None = None) -> BridgeChange:
    """Put the bridge in place (or refresh it); the status line it replaces keeps running through it."""
    target = claude_code.path(home)
    settings = read_json(target)
    current = settings.get(KEY)
    if is_bridge(current):
        replaced = _saved()
        if replaced is None:
            raise BridgeError(
                f"{target} runs the bridge, but {original_path()} (your own status line) is missing: set "
                f"`{KEY}` in {target} to your own status line, then run this again"
            )
    else:
        replaced = {KEY: current} if KEY in settings else {}
        write_text_if_changed(original_path(), json.dumps(replaced, indent=2) + "\n", 0o600)
    own = own_command(replaced)
    state = statusline_sender.folder()
    state.mkdir(parents=True, exist_ok=True)
    script_changed = write_text_if_changed(bridge_path(), bridge_script(own, state, python or sys.executable), 0o700)
    base = replaced.get(KEY) if isinstance(replaced.get(KEY), dict) else {}
    settings[KEY] = {**base, "type": "command", "command": bridge_command()}
    settings_changed = write_json(target, settings)
    return BridgeChange(target, "installed" if settings_changed or script_changed else "unchanged", own)


def uninstall(home: Path) -> BridgeChange:
    """Put back the status line the bridge replaced, exactly; leave a status line set since alone."""
    target = claude_code.path(home)
    settings = read_json(target)
    replaced = _saved()
    if not is_bridge(settings.get(KEY)):
        _remove_files()
        return BridgeChange(target, "absent", own_command(replaced or {}))
    if replaced is None:
        raise BridgeError(
            f"{original_path()} (the status line the bridge replaced) is missing: set `{KEY}` in {target} by hand"
        )
    if KEY in replaced:
        settings[KEY] = replaced[KEY]
    else:
        del settings[KEY]
    write_json(target, settings)
    _remove_files()
    return BridgeChange(target, "removed", own_command(replaced))


def _remove_files() -> None:
    for path in (bridge_path(), original_path()):
        path.unlink(missing_ok=True)
    if bridge_dir().is_dir() and not any(bridge_dir().iterdir()):
        os.rmdir(bridge_dir())


@dataclass
class BridgeState:
    settings: Path
    in_place: bool  # settings.json reads the bridge and the script is there
    own: str
    detail: str  # what is wrong, when not in place


def state(home: Path) -> BridgeState:
    target = claude_code.path(home)
    try:
        current = read_json(target).get(KEY)
    except SettingsError as e:
        return BridgeState(target, False, "", str(e))
    replaced = _saved() or {}
    if not is_bridge(current):
        return BridgeState(target, False, own_command(replaced), f"{target} does not run the status line bridge")
    if not bridge_path().is_file():
        return BridgeState(target, False, own_command(replaced), f"{bridge_path()} is missing")
    return BridgeState(target, True, own_command(replaced), "")
