"""`agent-analytics doctor`: is this workstation's telemetry reaching a working stack?"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agent_analytics.workstation import config as workstation
from agent_analytics.workstation import doctor_checks

SYMBOLS = {doctor_checks.OK: ("✓", "green"), doctor_checks.WARN: ("!", "yellow"), doctor_checks.FAIL: ("✗", "red")}


def doctor(
    endpoint: str | None = typer.Option(None, "--endpoint", help="Collector OTLP/HTTP URL (default: from the config)."),
    exporter_url: str | None = typer.Option(None, "--exporter-url", help="Exporter URL (default: from the config)."),
    prometheus_url: str | None = typer.Option(
        None,
        "--prometheus-url",
        help="Prometheus URL (default: the endpoint's host, port 9090). Overrides what `init --prometheus-url` stored.",
    ),
    loki_url: str | None = typer.Option(
        None,
        "--loki-url",
        help="Loki URL (default: the endpoint's host, port 3100). Overrides what `init --loki-url` stored.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
) -> None:
    """Check the config, the collector, exporter, Prometheus and Loki, the git hook and each agent's settings.

    Prints what is wrong and what to do about it; exits 1 when a check fails (warnings alone exit 0).
    """
    ws = workstation.load_or_none() or workstation.Workstation()
    if endpoint:  # another collector: its siblings are on its host unless named
        ws = workstation.Workstation(
            **{**ws.__dict__, "endpoint": endpoint, "exporter_url": "", "prometheus_url": "", "loki_url": ""}
        )
        ws.without_loki = False
    targets = doctor_checks.Targets(
        endpoint=ws.endpoint,
        exporter_url=(exporter_url or ws.exporter_url).rstrip("/"),
        prometheus_url=(prometheus_url or ws.prometheus()).rstrip("/"),
        loki_url=(loki_url or ("" if ws.without_loki else ws.loki())).rstrip("/"),
    )
    from agent_analytics.stack import service

    checks = []
    for check in (*doctor_checks.run(targets, Path.home(), Path.cwd()), service.check(Path.home())):
        checks.append(check)
        if not as_json:
            symbol, colour = SYMBOLS[check.status]
            typer.echo(f"{typer.style(symbol, fg=colour)} {check.name}: {check.detail}")
            if check.fix and check.status != doctor_checks.OK:
                typer.echo(f"    fix: {check.fix}")
    failed = [c for c in checks if c.status == doctor_checks.FAIL]
    if as_json:
        typer.echo(json.dumps({"ok": not failed, "checks": [c.as_dict() for c in checks]}, indent=2))
    elif failed:
        typer.echo(f"\n{len(failed)} check(s) failed.")
    else:
        typer.echo("\nAll checks passed.")
    if failed:
        raise typer.Exit(1)
