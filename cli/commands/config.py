"""`agent-analytics config`: the JSON Schema of each config file, and a check that validates one
without starting anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent_analytics.cli.config_kinds import KINDS, check_file, kind_named

config_app = typer.Typer(help="Config files: their JSON Schema, and a check without starting anything.")

KIND_HELP = "One of " + ", ".join(f"{name} ({kind.what})" for name, kind in KINDS.items()) + "."


@config_app.command("schema")
def schema(kind: Annotated[str, typer.Argument(help=KIND_HELP, metavar="KIND")]) -> None:
    """Print the JSON Schema of a config file (for editors and CI linters)."""
    model = kind_named(kind).model()
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema()}
    typer.echo(json.dumps(document, indent=2))


@config_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The YAML file to check.", metavar="FILE")],
    kind: Annotated[
        str | None, typer.Option("--kind", help=KIND_HELP + " Inferred from the file's keys when clear.")
    ] = None,
) -> None:
    """Validate a config file; a mistake is one line naming the file, the key and the line (exit 2).

    Repositories that do not exist here are reported as warnings: the file may be meant for another machine.
    """
    found, warnings = check_file(file, kind)
    for warning in warnings:
        typer.echo(f"warning: {file}: {warning}", err=True)
    typer.echo(f"{file}: a valid {found.name} config")


@config_app.command("alertmanager")
def alertmanager_config(
    file: Annotated[Path, typer.Argument(help="The alerting config (receivers, teams, default).", metavar="FILE")],
    out: Annotated[Path, typer.Option("--out", help="The folder to write alertmanager.yml and what it reads into.")],
) -> None:
    """Write the Alertmanager configuration generated from an alerting config, for an Alertmanager of your own.

    Writes alertmanager.yml, its notification template and, for each secret the config reads from an environment
    variable, a file only you can read under secrets/ (Alertmanager reads secrets from files only). `up` does this
    itself from the alerting section of its --config.
    """
    from agent_analytics.alerting.alertmanager import generate
    from agent_analytics.alerting.routing import load_alerting

    folder = out.expanduser().absolute()
    written = generate(load_alerting(file), folder, str(file)).write()
    typer.echo(f"wrote {written}")
