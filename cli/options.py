"""Options that several commands share under one name."""

import typer

# `--prometheus-url` everywhere (as `--exporter-url`, `--loki-url`); the older `--prometheus` of
# `report` and `backfill` still works, unlisted.
PROMETHEUS_ALIAS = typer.Option(None, "--prometheus", hidden=True, help="Old name of --prometheus-url.")
