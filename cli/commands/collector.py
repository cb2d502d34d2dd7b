"""`agent-analytics collector`: run the embedded OTLP collector in the foreground."""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path

import typer

from agent_analytics.config.errors import UserError


def collector(
    grpc_port: int = typer.Option(None, "--grpc-port", help="OTLP/gRPC port (default: 4317)."),
    http_port: int = typer.Option(None, "--http-port", help="OTLP/HTTP port (default: 4318)."),
    metrics_port: int = typer.Option(None, "--metrics-port", help="Port of /metrics and /healthz (default: 8889)."),
    host: str = typer.Option(
        None, "--host", help="Interface to listen on; 0.0.0.0 for the network (default: 127.0.0.1)."
    ),
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        help="Metric state, event spool and event files (default: ~/.local/share/agent-analytics/collector).",
    ),
    loki_url: str = typer.Option(None, "--loki-url", help="Send events to this Loki (e.g. http://localhost:3100)."),
    config: Path = typer.Option(None, "--config", help="YAML file of collector settings; flags override it."),
    as_json: bool = typer.Option(False, "--json", help="Print the endpoints as one JSON line when listening."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
) -> None:
    """Receive OTLP from Claude Code, Gemini CLI, Codex and any OpenTelemetry SDK: metrics become
    Prometheus series on /metrics, events go to Loki (or to NDJSON files without Loki).

    What it acknowledges is already on disk in the data dir (also through kill -9); Ctrl-C or
    SIGTERM writes a snapshot of the totals and stops.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    from agent_analytics.collector.config import load_config
    from agent_analytics.collector.service import CollectorService, collect_garbage_less

    settings = load_config(
        config,
        grpc_port=grpc_port,
        http_port=http_port,
        metrics_port=metrics_port,
        host=host,
        data_dir=data_dir,
        loki_url=loki_url,
    )
    service = CollectorService(settings)
    try:
        service.start()
    except OSError as e:  # the data dir cannot be created
        if isinstance(e, UserError):
            raise
        raise UserError(
            f"cannot use the data dir {settings.data_dir} ({e.strerror or e}): pass another --data-dir"
        ) from None

    collect_garbage_less()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    endpoints = service.endpoints
    if as_json:
        typer.echo(json.dumps({**endpoints, "data_dir": str(settings.data_dir), "loki_url": settings.loki_url}))
    else:
        events = f"Loki {settings.loki_url}" if settings.loki_url else f"files in {settings.events_dir}"
        typer.echo(
            f"collector listening: OTLP gRPC {endpoints['otlp_grpc']}, OTLP HTTP {endpoints['otlp_http']}, "
            f"metrics {endpoints['metrics']}; events to {events}"
        )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        service.stop()
        typer.echo("collector stopped; totals saved", err=True)
