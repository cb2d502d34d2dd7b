"""Entry point of the `agent-analytics` command.

Each command lives in its own module under `commands/` and defines `register(app)`; they are
found here so that adding a command never means editing this file.
"""

import importlib
import pkgutil

import typer

from agent_analytics import __version__
from agent_analytics.cli import commands

app = typer.Typer(
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
