"""`agent-analytics statusline ...`: the status line bridge that sends Claude Code's plan limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.workstation import statusline_install, statusline_sender
from agent_analytics.workstation.agent_settings import SettingsError

statusline_app = typer.Typer(
    help="Claude Code's status line bridge: your own status line keeps running through it, and the 5-hour and"
    " weekly plan limits it shows go to the collector.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _change(action, as_json: bool) -> None:
    try:
        change = action(Path.home())
    except (statusline_install.BridgeError, SettingsError, OSError) as e:
        raise RuntimeFailure(str(e)) from None
    if as_json:
        typer.echo(json.dumps(change.as_dict()))
        return
    own = f"`{change.own}`" if change.own else "none"
    typer.echo(
        {
            "installed": f"status line bridge installed in {change.settings} (your own status line: {own})",
            "unchanged": f"status line bridge already in place in {change.settings} (your own status line: {own})",
            "removed": f"status line bridge removed: {change.settings} runs your own status line again ({own})",
            "absent": f"{change.settings} does not run the status line bridge: nothing to remove",
        }[change.action]
    )


@statusline_app.command("install")
def install(as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON.")) -> None:
    """Make the bridge Claude Code's status line command; the command configured before runs through it.

    `init` does this for Claude Code. Safe to run again.
    """
    _change(statusline_install.install, as_json)


@statusline_app.command("uninstall")
def uninstall(as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON.")) -> None:
    """Put back the status line the bridge replaced, exactly as it was (or none, if there was none)."""
    _change(statusline_install.uninstall, as_json)


@statusline_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print the status as JSON.")) -> None:
    """Whether the bridge is in place, which status line runs through it, and how the last send went."""
    bridge = statusline_install.state(Path.home())
    last = statusline_sender.last_outcome()
    data = {
        "in_place": bridge.in_place,
        "settings": str(bridge.settings),
        "detail": bridge.detail,
        "own_command": bridge.own,
        "last_send": last,
    }
    if as_json:
        typer.echo(json.dumps(data))
        return
    typer.echo(f"bridge: {'in place' if bridge.in_place else 'not in place: ' + bridge.detail}")
    typer.echo(f"your own status line: {bridge.own or 'none'}")
    if last:
        when = datetime.fromtimestamp(last["at"], UTC).isoformat(timespec="seconds")
        readings = ", ".join(f"{w} {r['used']:.1%} until {_utc(r['resets_at'])}" for w, r in last["readings"].items())
        typer.echo(f"last send: {when}, {'sent' if last['sent'] else 'not sent'}: {last['detail']}")
        if readings:
            typer.echo(f"  {readings}")
    else:
        typer.echo("last send: none yet")


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")
