"""`up` as a service of the user's session: a systemd user unit on Linux, a launchd agent on macOS.

Both run one `agent-analytics up` command line (the flags and data dir it was asked with, paths
absolute) with the PATH it was installed from, start it at log-in (at boot too with systemd's
lingering), restart it when it fails and stop it with SIGTERM, on which `up` stops its servers in
order. The two files are rendered here and nowhere else: render() is what gets written.
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from agent_analytics.workstation.doctor_checks import FAIL, OK, WARN, Check

UNIT = "agent-analytics.service"  # systemd
LABEL = "io.github.agent-analytics.up"  # launchd
SYSTEMD, LAUNCHD = "systemd", "launchd"
RESTART_DELAY_SECONDS = 1  # after `up` itself failed: short, as the collector is away meanwhile
STOP_TIMEOUT_SECONDS = 90  # Prometheus may take a while to write its head block

SYSTEMD_UNIT = """\
# Written by `agent-analytics up --install-service`; removed by `agent-analytics up --uninstall-service`.
# Changes of your own belong in a drop-in (`systemctl --user edit {unit}`), which a reinstall keeps.
[Unit]
Description=Agent Analytics: collector, exporter and Prometheus (agent-analytics up)
# a stack that fails five times in five minutes stays stopped until started by hand
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
Type=simple
ExecStart={exec_start}
Environment={path}
Restart=on-failure
RestartSec={restart_delay}
# SIGTERM to `up` alone: it stops its servers in order; what is left after the timeout is killed
KillMode=mixed
TimeoutStopSec={stop_timeout}

[Install]
WantedBy=default.target
"""


class ServiceError(Exception):
    """A service manager refused; the message is one line saying what to run by hand."""


@dataclass(frozen=True)
class ServiceFile:
    manager: str  # SYSTEMD or LAUNCHD
    path: Path
    text: str


def manager_of_this_system() -> str | None:
    if sys.platform.startswith("linux"):
        return SYSTEMD
    if sys.platform == "darwin":
        return LAUNCHD
    return None


def service_path(manager: str, home: Path) -> Path:
    if manager == SYSTEMD:
        config = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
        return Path(config) / "systemd" / "user" / UNIT
    return home / "Library" / "LaunchAgents" / f"{LABEL}.plist"


# --- rendering ------------------------------------------------------------------------------------


def _systemd_quoted(text: str) -> str:
    """A word of a unit file: specifiers (%) kept literal, double-quoted when it holds anything but plain characters."""
    text = text.replace("%", "%%")
    if text and not re.search(r"[\s\"'\\;$]", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _systemd_command(argv: list[str]) -> str:
    # `$` is an environment variable reference in ExecStart: `$$` is a literal one
    return " ".join(_systemd_quoted(arg).replace("$", "$$") for arg in argv)


def render(manager: str, argv: list[str], home: Path, path_env: str, log_file: Path) -> ServiceFile:
    """The unit (systemd) or agent (launchd) running `argv`; `log_file` is where launchd sends its output."""
    if manager == SYSTEMD:
        text = SYSTEMD_UNIT.format(
            unit=UNIT,
            exec_start=_systemd_command(argv),
            path=_systemd_quoted(f"PATH={path_env}"),
            restart_delay=RESTART_DELAY_SECONDS,
            stop_timeout=STOP_TIMEOUT_SECONDS,
        )
    else:
        agent = {
            "Label": LABEL,
            "ProgramArguments": argv,
            "EnvironmentVariables": {"PATH": path_env},
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},  # restarted when it fails, not when stopped
            "ThrottleInterval": RESTART_DELAY_SECONDS,
            "ExitTimeOut": STOP_TIMEOUT_SECONDS,
            "StandardOutPath": str(log_file),
            "StandardErrorPath": str(log_file),
        }
        text = plistlib.dumps(agent).decode()
    return ServiceFile(manager, service_path(manager, home), text)


# --- installing -----------------------------------------------------------------------------------


def _run(*argv: str) -> subprocess.CompletedProcess:
    if shutil.which(argv[0]) is None:
        raise ServiceError(f"`{argv[0]}` not found on PATH")
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def _must(*argv: str) -> None:
    done = _run(*argv)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise ServiceError(f"`{' '.join(argv)}` failed: {said[-1] if said else f'exit {done.returncode}'}")


def _launchd_domain() -> str:
    return f"gui/{os.getuid()}"


def install(service: ServiceFile) -> None:
    """Write the file and have the manager start it now and at each log-in (restarting it if it ran)."""
    service.path.parent.mkdir(parents=True, exist_ok=True)
    if service.manager == LAUNCHD and service.path.exists():
        _run("launchctl", "bootout", f"{_launchd_domain()}/{LABEL}")  # the old one, if loaded
    service.path.write_text(service.text)
    if service.manager == SYSTEMD:
        _must("systemctl", "--user", "daemon-reload")
        _must("systemctl", "--user", "enable", UNIT)
        _must("systemctl", "--user", "restart", UNIT)
    else:
        _must("launchctl", "bootstrap", _launchd_domain(), str(service.path))


def uninstall(manager: str, home: Path) -> Path | None:
    """Stop and remove the service; the path removed, or None when there was none."""
    path = service_path(manager, home)
    if not path.exists():
        return None
    if manager == SYSTEMD:
        _must("systemctl", "--user", "disable", "--now", UNIT)
        path.unlink()
        _must("systemctl", "--user", "daemon-reload")
    else:
        _run("launchctl", "bootout", f"{_launchd_domain()}/{LABEL}")
        path.unlink()
    return path


def running(manager: str) -> bool:
    if manager == SYSTEMD:
        return _run("systemctl", "--user", "is-active", UNIT).stdout.strip() == "active"
    listed = _run("launchctl", "list", LABEL)
    return listed.returncode == 0 and '"PID" =' in listed.stdout


def lingering(user: str) -> bool | None:
    """Whether systemd keeps this user's services running without a session (None: cannot tell)."""
    try:
        done = _run("loginctl", "show-user", user, "--property=Linger", "--value")
    except ServiceError:
        return None
    return done.stdout.strip() == "yes" if done.returncode == 0 else None


@dataclass(frozen=True)
class Status:
    manager: str
    path: Path
    installed: bool
    running: bool | None  # None: the manager could not be asked


def status(home: Path) -> Status | None:
    """The service of this user, or None on a system without a supported service manager."""
    manager = manager_of_this_system()
    if manager is None:
        return None
    path = service_path(manager, home)
    if not path.exists():
        return Status(manager, path, False, False)
    try:
        return Status(manager, path, True, running(manager))
    except (ServiceError, OSError, subprocess.SubprocessError):
        return Status(manager, path, True, None)


# --- for `doctor` ---------------------------------------------------------------------------------


def check(home: Path) -> Check:
    """Whether `up --install-service` installed the stack as a service of this user, and whether it runs."""
    name = "up service"
    found = status(home)
    if found is None:
        return Check(name, OK, "no service manager known here (systemd or launchd): run `agent-analytics up` yourself")
    if not found.installed:
        return Check(
            name, OK, f"not installed ({found.path}); `agent-analytics up --install-service` keeps the stack running"
        )
    if found.running:
        return Check(name, OK, f"{found.path} installed and running")
    if found.manager == SYSTEMD:
        fix = f"see why: `systemctl --user status {UNIT}`, `journalctl --user -u {UNIT}`"
    else:
        fix = f"see why in the log named in {found.path}; start it: `launchctl kickstart gui/$(id -u)/{LABEL}`"
    if found.running is None:
        return Check(name, WARN, f"{found.path} installed; {found.manager} could not be asked whether it runs", fix)
    return Check(name, FAIL, f"{found.path} installed but not running", fix)
