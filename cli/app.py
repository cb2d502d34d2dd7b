"""Entry point of the `agent-analytics` command.

Each command lives in its own module under `commands/`; this file lists them all.
"""

import click
import typer
from typer.core import TyperGroup

from agent_analytics import __version__
from agent_analytics.cli.commands.backfill import backfill_app
from agent_analytics.cli.commands.collector import collector
from agent_analytics.cli.commands.config import config_app
from agent_analytics.cli.commands.demo import demo
from agent_analytics.cli.commands.doctor import doctor
from agent_analytics.cli.commands.exporter import exporter
from agent_analytics.cli.commands.hook import hook_app
from agent_analytics.cli.commands.init import init
from agent_analytics.cli.commands.report import report
from agent_analytics.cli.commands.statusline import statusline_app
from agent_analytics.cli.commands.up import up
from agent_analytics.config.errors import UserError


class _Commands(TyperGroup):
    """Every command's UserError becomes one line on stderr and its exit code (2 usage/config, 1 runtime)."""

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


app.add_typer(backfill_app, name="backfill")
app.command()(collector)
app.add_typer(config_app, name="config")
app.command()(demo)
app.command()(doctor)
app.command()(exporter)
app.add_typer(hook_app, name="hook")
app.command()(init)
app.command()(report)
app.add_typer(statusline_app, name="statusline")
app.command()(up)


def main() -> None:
    app()
