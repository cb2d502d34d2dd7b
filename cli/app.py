"""Entry point of the `agent-analytics` command.

Each command lives in its own module under `commands/` and defines `register(app)`; they are
found here so that adding a command never means editing this file.
"""

import importlib
import pkgutil

import click
import typer
from typer.core import TyperGroup

from agent_analytics import __version__
from agent_analytics.cli import commands
from agent_analytics.errors import UserError


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


for _info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    importlib.import_module(f"{commands.__name__}.{_info.name}").register(app)


def main() -> None:
    app()
