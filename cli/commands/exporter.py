"""`agent-analytics exporter`: git commits, the git hook's ingest API and Copilot usage as Prometheus series."""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path

import typer

from agent_analytics.config.errors import UserError


def exporter(
    config: Path = typer.Option(
        ...,
        "--config",
        "-c",
        help="YAML file of exporter settings; a list of repository paths under `repos:` is enough.",
    ),
    port: int = typer.Option(
        9465, "--port", show_default=False, help="Port of /metrics, /healthz and POST /api/v1/commits (default: 9465)."
    ),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        show_default=False,
        help="Interface to listen on; 0.0.0.0 to accept the network (default: 127.0.0.1).",
    ),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Where the commit store lives (overrides data_dir of the config)."
    ),
    once: bool = typer.Option(
        False,
        "--once",
        help="Scan the repositories, poll Copilot once, print a summary and exit (1 if anything failed).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary or the endpoints as one JSON line."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
) -> None:
    """Serve git commits (attributed to Claude Code, Copilot, Codex, Cursor, aider, Devin, Gemini CLI by
    evidence), the git hook's ingest API and GitHub Copilot usage metrics as Prometheus series.

    Counters are all-time totals kept in the data dir, so a restart changes nothing.
    Stops on Ctrl-C or SIGTERM.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    from agent_analytics.exporter.config import load_config
    from agent_analytics.exporter.service import ExporterService, default_data_dir
    from agent_analytics.stack.lock import refuse_if_up_owns

    settings = load_config(config)
    refuse_if_up_owns(data_dir or settings.data_dir or default_data_dir())
    try:
        service = ExporterService(settings, port=port, host=host, data_dir=data_dir)
    except OSError as e:  # the commit store cannot be created or opened
        where = f" {e.filename}" if e.filename else ""
        raise UserError(
            f"cannot use the data dir{where} ({e.strerror or e}): pass --data-dir with a folder you can write to"
        ) from None

    if once:
        try:
            with _progress(not as_json, "scanning repositories"):
                new = service.scan_now()
            copilot_ok = service.poll_now() if service.copilot else None
            vendors_ok = service.poll_vendors() if service.vendors else None
            summary = {
                "repos": len(service.scanners),
                "new_commits": new,
                "commits": service.health()["commits"],
                "scan_errors": sum(service.stats.errors.values()),
                "copilot_ok": copilot_ok,
                "vendors_ok": vendors_ok,
                "data_dir": str(service.data_dir),
            }
        finally:
            service.store.close()
            if service.vendor_days is not None:
                service.vendor_days.close()
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            typer.echo(
                f"{summary['repos']} repositories, {summary['commits']} commits known ({new} new),"
                f" {summary['scan_errors']} scan errors"
                + ("" if copilot_ok is None else f"; Copilot poll {'ok' if copilot_ok else 'FAILED (see the log)'}")
                + ("" if vendors_ok is None else f"; vendor APIs {'ok' if vendors_ok else 'FAILED (see the log)'}")
            )
        raise typer.Exit(1 if summary["scan_errors"] or copilot_ok is False or vendors_ok is False else 0)

    try:
        service.start()
    except BaseException:
        service.store.close()
        raise
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    base = f"http://{host}:{service.port}"
    endpoints = {"metrics": f"{base}/metrics", "healthz": f"{base}/healthz", "ingest": f"{base}/api/v1/commits"}
    if as_json:
        typer.echo(json.dumps({**endpoints, "data_dir": str(service.data_dir)}))
    else:
        typer.echo(
            f"exporter listening: {endpoints['metrics']}, ingest {endpoints['ingest']}; data in {service.data_dir}"
        )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        service.stop()
        typer.echo("exporter stopped", err=True)


class _progress:
    """A spinner on stderr while long work runs (only on a terminal)."""

    def __init__(self, enabled: bool, text: str):
        self.enabled = enabled
        self.text = text

    def __enter__(self):
        if self.enabled:
            from rich.console import Console

            console = Console(stderr=True)
            if console.is_terminal:
                self._status = console.status(self.text)
                self._status.__enter__()
        return self

    def __exit__(self, *exc):
        status = getattr(self, "_status", None)
        if status is not None:
            status.__exit__(*exc)
