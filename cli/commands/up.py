"""`agent-analytics up`: the whole stack on this machine, in the foreground."""

import json
import shlex
import signal
import threading
from pathlib import Path

import typer

from agent_analytics.cli import invocation
from agent_analytics.cli.commands import up_service
from agent_analytics.config.errors import UserError
from agent_analytics.stack.paths import stack_dir
from agent_analytics.stack.ports import DEFAULT_PORTS, PORT_OWNERS


def _port_option(name: str):
    return typer.Option(
        None,
        f"--{name.replace('_', '-')}-port",
        help=f"Port of the {PORT_OWNERS[name]} (default: {DEFAULT_PORTS[name]}).",
    )


def _init_flags(endpoints: dict[str, str | None], loki_url: str | None) -> str:
    """What `init` stores so that `doctor` checks this stack, wherever its ports are."""
    flags = f"--endpoint {endpoints['otlp_http']} --exporter-url {endpoints['exporter']}"
    flags += f" --prometheus-url {endpoints['prometheus']}"
    flags += f" --loki-url {loki_url}" if loki_url else " --no-loki"
    return flags


def _instructions(
    endpoints: dict[str, str | None], data_dir: Path, loki_url: str | None, loki_absent: str, alertmanager_absent: str
) -> str:
    otlp = endpoints["otlp_http"]
    me = invocation.command()
    rows = [
        ("Collector OTLP/gRPC", endpoints["otlp_grpc"]),
        ("Collector OTLP/HTTP", otlp),
        ("Collector metrics", endpoints["collector_metrics"]),
        ("Exporter", f"{endpoints['exporter']}  (/metrics, /healthz, POST /api/v1/commits)"),
        ("Prometheus", endpoints["prometheus"]),
        (
            "Loki",
            endpoints["loki"] or loki_url or f"not started ({loki_absent}); events go to files under the data dir",
        ),
        ("Grafana", endpoints["grafana"] or "not started (no `grafana` or `grafana-server` on PATH)"),
        ("Alertmanager", endpoints["alertmanager"] or alertmanager_absent),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"Agent Analytics is running; Ctrl-C stops it. Data: {data_dir}", ""]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    lines += [
        "",
        "Track this workstation (Claude Code, Gemini CLI, Codex and the git hook); set TEAM to your team's id:",
        "  TEAM=my-team",
        f'  {me} init {_init_flags(endpoints, loki_url)} --team "$TEAM" --yes',
        f"  {me} doctor",
        "",
        "Or set these for Claude Code yourself (the env block of ~/.claude/settings.json):",
        "  CLAUDE_CODE_ENABLE_TELEMETRY=1",
        "  OTEL_METRICS_EXPORTER=otlp",
        "  OTEL_LOGS_EXPORTER=otlp",
        "  OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        f"  OTEL_EXPORTER_OTLP_ENDPOINT={otlp}",
        "  OTEL_METRICS_INCLUDE_SESSION_ID=false",
        "",
        "See the numbers:",
        f"  {me} report --data-dir {shlex.quote(str(data_dir))} --range 30d",
        f"  {me} demo --data-dir {shlex.quote(str(data_dir))}    (a month of sample history)",
    ]
    return "\n".join(lines)


def up(
    config: Path = typer.Option(None, help="YAML file with sections ports, collector, exporter, prometheus, alerting."),
    data_dir: Path = typer.Option(None, help="Where the stack keeps its data (default: the user data folder)."),
    otlp_grpc_port: int = _port_option("otlp_grpc"),
    otlp_http_port: int = _port_option("otlp_http"),
    collector_metrics_port: int = _port_option("collector_metrics"),
    exporter_port: int = _port_option("exporter"),
    prometheus_port: int = _port_option("prometheus"),
    loki_port: int = _port_option("loki"),
    grafana_port: int = _port_option("grafana"),
    alertmanager_port: int = _port_option("alertmanager"),
    as_json: bool = typer.Option(False, "--json", help="Print the endpoints as one JSON line once ready."),
    install_service: bool = typer.Option(
        False,
        "--install-service",
        help="Instead of running here, install this same `up` (these flags, this data dir) as a service of your"
        " user (systemd user unit on Linux, launchd agent on macOS), start it, and start it at each log-in.",
    ),
    uninstall_service: bool = typer.Option(
        False, "--uninstall-service", help="Stop and remove the service --install-service installed."
    ),
) -> None:
    """Run the embedded collector and exporter, Prometheus, and Loki, Alertmanager and Grafana when installed.

    Waits until everything answers, prints the endpoints and what to run on a workstation, and stops it all on Ctrl-C.
    A server that stops is restarted (one line each on stderr; agent_analytics_stack_restarts_total on the
    exporter's /metrics); one that keeps stopping ends `up` with exit code 1.
    """
    flags = {
        "otlp_grpc": otlp_grpc_port,
        "otlp_http": otlp_http_port,
        "collector_metrics": collector_metrics_port,
        "exporter": exporter_port,
        "prometheus": prometheus_port,
        "loki": loki_port,
        "grafana": grafana_port,
        "alertmanager": alertmanager_port,
    }
    if install_service and uninstall_service:
        raise UserError("--install-service and --uninstall-service: choose one")
    if uninstall_service:
        up_service.uninstall()
        return
    folder = stack_dir(data_dir)
    from agent_analytics.stack.config import load_stack_config

    settings = load_stack_config(config, flags)  # a mistake in the file shows before any port is checked
    if install_service:
        up_service.install(up_service.service_command(config, folder, flags, as_json), settings, folder)
        return
    from agent_analytics.stack.supervisor import LocalStack  # heavy: collector, exporter

    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # while starting, SIGTERM unwinds like Ctrl-C: nothing left behind
    try:
        stack = LocalStack(settings, folder, report=lambda line: typer.echo(line, err=True))
        stack.start()
    except KeyboardInterrupt:
        typer.echo("interrupted while starting; stopped", err=True)
        raise typer.Exit(130) from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        endpoints = stack.endpoints()
        loki_url = endpoints["loki"] or stack.config.collector.get("loki_url")
        text = (
            json.dumps(endpoints)
            if as_json
            else _instructions(endpoints, folder, loki_url, stack.loki_absent, stack.alertmanager_absent)
        )
        typer.echo(text, nl=True)
        while not stop.wait(0.1):
            stack.supervise()  # a child that keeps stopping ends the run with one line
    finally:
        stack.stop()
    typer.echo("stopped", err=True)
