"""`agent-analytics collector`: run the embedded OTLP collector in the foreground."""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path

import typer

from agent_analytics.collector.config import ConfigError, load_config
from agent_analytics.collector.service import CollectorService


def collector(
    grpc_port: int = typer.Option(None, "--grpc-port", help="OTLP/gRPC port. Default 4317."),
    http_port: int = typer.Option(None, "--http-port", help="OTLP/HTTP port. Default 4318."),
    metrics_port: int = typer.Option(None, "--metrics-port", help="Port of /metrics and /healthz. Default 8889."),
    host: str = typer.Option(
        None, "--host", help="Interface to listen on; 0.0.0.0 for the network. Default 127.0.0.1."
    ),
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        help="Metric state, event spool and event files. Default ~/.local/share/agent-analytics/collector.",
    ),
    loki_url: str = typer.Option(None, "--loki-url", help="Send events to this Loki (e.g. http://localhost:3100)."),
    config: Path = typer.Option(None, "--config", help="YAML file of collector settings; flags override it."),
    as_json: bool = typer.Option(False, "--json", help="Print the endpoints as one JSON line when listening."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
) -> None:
    """Receive OTLP from Claude Code, Gemini CLI, Codex and any OpenTelemetry SDK: metrics become
    Prometheus series on /metrics, events go to Loki (or to NDJSON files without Loki).

    Stops on Ctrl-C or SIGTERM, writing its totals to the data dir so a restart keeps them.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
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
        service.start()
    except (ConfigError, OSError, RuntimeError, ValueError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None

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
