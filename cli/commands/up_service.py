"""`agent-analytics up --install-service / --uninstall-service`: the same `up` kept running by the
system's service manager (systemd user unit, launchd agent)."""

from __future__ import annotations

import getpass
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agent_analytics.cli import invocation
from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.stack.ports import PORT_FLAGS

if TYPE_CHECKING:
    from agent_analytics.stack.config import StackConfig


def service_command(config: Path | None, data_dir: Path, ports: dict[str, int | None], as_json: bool) -> list[str]:
    """The `up` that was asked for, with absolute paths and its data dir named."""
    argv = [*invocation.program(), "up"]
    if config is not None:
        argv += ["--config", str(config.expanduser().absolute())]
    argv += ["--data-dir", str(data_dir.absolute())]
    for name, value in ports.items():
        if value is not None:
            argv += [PORT_FLAGS[name], str(value)]
    return argv + (["--json"] if as_json else [])


def _manager() -> str:
    from agent_analytics.stack import service

    manager = service.manager_of_this_system()
    if manager is None:
        raise RuntimeFailure(
            "--install-service knows systemd (Linux) and launchd (macOS) only: run `agent-analytics up` from your"
            " own service manager"
        )
    return manager


def install(argv: list[str], settings: StackConfig, data_dir: Path) -> None:
    from agent_analytics.stack import lock, service
    from agent_analytics.stack.supervisor import LocalStack  # heavy: collector, exporter

    manager = _manager()
    LocalStack(settings, data_dir).check_installed()  # a service that cannot start would only loop
    home = Path.home()
    before = service.status(home)
    owner = lock.running_owner(data_dir)
    if owner is not None and not (before and before.running):
        raise RuntimeFailure(
            f"an `agent-analytics up` (pid {owner}) is running on {data_dir}: stop it first, the service runs it"
        )
    unit = service.render(manager, argv, home, os.environ.get("PATH", ""), data_dir / "logs" / "up.log")
    try:
        service.install(unit)
    except service.ServiceError as e:
        raise RuntimeFailure(f"wrote {unit.path}, but {e}") from None
    me = invocation.command()
    command = shlex.join(argv)
    if manager == service.SYSTEMD:
        lines = [
            f"Installed {service.UNIT} ({unit.path}); it runs now and at each log-in:",
            f"  {command}",
            f"Status: systemctl --user status {service.UNIT}",
            f"Logs:   journalctl --user -u {service.UNIT} -f",
            f"Remove: {me} up --uninstall-service",
        ]
        user = getpass.getuser()
        if service.lingering(user) is not True:
            lines.append(f"To start it at boot and keep it after you log out: loginctl enable-linger {user}")
    else:
        lines = [
            f"Installed {service.LABEL} ({unit.path}); it runs now and at each log-in:",
            f"  {command}",
            f"Status: launchctl print gui/{os.getuid()}/{service.LABEL}",
            f"Logs:   {data_dir / 'logs' / 'up.log'}",
            f"Remove: {me} up --uninstall-service",
        ]
    typer.echo("\n".join(lines))


def uninstall() -> None:
    from agent_analytics.stack import service

    manager = _manager()
    try:
        removed = service.uninstall(manager, Path.home())
    except service.ServiceError as e:
        raise RuntimeFailure(str(e)) from None
    if removed is None:
        typer.echo(f"No service installed ({service.service_path(manager, Path.home())} does not exist).")
    else:
        typer.echo(f"Stopped and removed {removed}.")
