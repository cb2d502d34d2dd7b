"""Entry point of the `agent-analytics` command.

Each command lives in its own module under `commands/`; this file lists them all. A command's
module, and all it imports, loads only when that command runs (or a help lists it), so that
`collector`, `exporter` or `hook` start without the imports of `report` or `doctor`.
"""

import importlib

import click
import typer
from typer.core import TyperGroup

from agent_analytics import __version__
from agent_analytics.config.errors import UserError

# command name -> (module of agent_analytics.cli.commands, its typer function or sub-app), in help
# order: the commands, then the groups of commands
COMMANDS = {
    "collector": ("collector", "collector"),
    "demo": ("demo", "demo"),
    "doctor": ("doctor", "doctor"),
    "exporter": ("exporter", "exporter"),
    "init": ("init", "init"),
    "report": ("report", "report"),
    "up": ("up", "up"),
    "backfill": ("backfill", "backfill_app"),
    "config": ("config", "config_app"),
    "hook": ("hook", "hook_app"),
    "statusline": ("statusline", "statusline_app"),
}


def _load(name: str) -> click.Command:
    """The click command of `name`, made as typer makes it for a command of this app."""
    module, attribute = COMMANDS[name]
    found = getattr(importlib.import_module(f"agent_analytics.cli.commands.{module}"), attribute)
    holder = typer.Typer(add_completion=False, rich_markup_mode=None)
    holder.callback()(lambda: None)  # a group, whatever it holds
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name=name)(found)
    return typer.main.get_command(holder).commands[name]


class _Commands(TyperGroup):
    """The commands, loaded by name when used. Every command's UserError becomes one line on
    stderr and its exit code (2 usage/config, 1 runtime)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return _load(cmd_name) if cmd_name in COMMANDS else None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(e.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    name="agent-analytics",
    help="Spend, usage and output of AI coding assistants, in Prometheus and Grafana.",
    no_args_is_help=True,
    add_completion=False,
    # click's own help layout: it rewraps paragraphs and shows no type for a flag
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Spend, usage and output of AI coding assistants, in Prometheus and Grafana."""


def main() -> None:
    app()
