"""`agent-analytics init`: point this workstation's coding agents and git at Agent Analytics."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import click
import typer

from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.vocabulary import plan_limits
from agent_analytics.workstation import config as workstation
from agent_analytics.workstation import doctor_checks, hook_install, otlp_endpoint, statusline_install
from agent_analytics.workstation.agent_settings import WRITERS, SettingsError, claude_code

API_KEY_PLACEHOLDER = "<api-key>"


def _fail(message: str) -> None:
    raise RuntimeFailure(str(message))  # one line on stderr, exit 1


def _parse_agents(text: str) -> list[str]:
    agents = [a.strip().lower() for a in text.split(",") if a.strip()]
    unknown = [a for a in agents if a not in WRITERS]
    if unknown:
        _fail(f"unknown agent(s) {', '.join(unknown)}: choose from {', '.join(WRITERS)}")
    return list(dict.fromkeys(agents))


def _check_url(name: str, url: str) -> str:
    if not url.startswith(("http://", "https://")):
        _fail(f"{name} {url!r} is not an http(s) URL: pass e.g. http://collector.example.com:4318")
    return url.rstrip("/")


def _ask(value: str | None, question: str, default: str, interactive: bool, hide: bool = False) -> str:
    if value is not None:
        return value
    if not interactive:
        return default
    hide = hide and sys.stdin.isatty()  # piped answers: nothing to hide, and no warning about it
    try:
        return typer.prompt(question, default=default, hide_input=hide, show_default=not hide)
    except (click.exceptions.Abort, typer.Abort):
        if sys.stdin.isatty():  # Ctrl-C or Ctrl-D at the prompt
            raise
        _fail(f"no answer to {question!r} (input ended): answer every question, or pass --yes with the flags you need")


def managed_snippet(ws: workstation.Workstation) -> dict:
    """The org-wide `managed-settings.json`, with the key left for the administrator to fill in."""
    shown = workstation.Workstation(**{**ws.__dict__, "api_key": API_KEY_PLACEHOLDER if ws.api_key else ""})
    return claude_code.managed_settings_snippet(shown)


IDENTITY_NOTE = (
    "It carries no OTEL_RESOURCE_ATTRIBUTES: managed settings win key by key over each user's"
    " ~/.claude/settings.json, so one there would replace every developer's developer.id and team.id."
    " Each developer runs `agent-analytics init --team <their team>` once, which writes their own ids."
)


def init(
    endpoint: str | None = typer.Option(
        None, "--endpoint", help="The collector's OTLP/HTTP URL, e.g. http://host:4318."
    ),
    exporter_url: str | None = typer.Option(
        None, "--exporter-url", help="The exporter's URL for git commits (default: the endpoint's host, port 9465)."
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", help="Bearer token, when the collector and exporter need one."
    ),
    developer_id: str | None = typer.Option(
        None, "--developer-id", help="Who you are on dashboards (default: your git user.email)."
    ),
    team: str | None = typer.Option(None, "--team", help="Your team's id on dashboards."),
    prometheus_url: str | None = typer.Option(
        None, "--prometheus-url", help="Prometheus URL for `doctor` (default: the endpoint's host, port 9090)."
    ),
    loki_url: str | None = typer.Option(
        None, "--loki-url", help="Loki URL for `doctor` (default: the endpoint's host, port 3100)."
    ),
    no_loki: bool = typer.Option(
        False, "--no-loki", help="The stack keeps events without Loki: `doctor` does not look for one."
    ),
    agents: str | None = typer.Option(
        None, "--agents", help=f"Agents to configure, comma-separated: {','.join(WRITERS)} (default: claude-code)."
    ),
    hook: bool = typer.Option(
        True,
        "--hook/--no-hook",
        show_default=False,
        help="Install the git post-commit hook for all repositories (default: --hook).",
    ),
    statusline: bool = typer.Option(
        True,
        "--statusline/--no-statusline",
        show_default=False,
        help="Claude Code: put the status line bridge in place, which sends the 5-hour and weekly plan limits;"
        " your own status line keeps running through it (default: --statusline).",
    ),
    plan: str | None = typer.Option(
        None,
        "--plan",
        help=f"Your Claude plan, for the plan fit: {', '.join(plan_limits.plans())} (default: as before, else none).",
    ),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Do not ask: take flags, then the current config, then defaults."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print what was configured as JSON."),
) -> None:
    """Set up this workstation: the agents' telemetry (Claude Code unless --agents names others) and the git hook.

    Interactive by default; with --yes every answer comes from the flags, then from the current
    config, then from defaults. Settings files are merged, never replaced, and running init
    again with the same answers changes nothing.

    The endpoint is probed first: init refuses one that is not an OTLP/HTTP receiver (unreachable,
    a host that does not resolve, another server), or, with --yes, warns and goes on.
    """
    saved = workstation.load_or_none()
    current = saved or workstation.Workstation()
    had_config = saved is not None
    interactive = not yes
    home = Path.home()

    endpoint = _check_url("endpoint", _ask(endpoint, "Collector OTLP/HTTP endpoint", current.endpoint, interactive))
    if problem := otlp_endpoint.problem(endpoint):
        _fail(problem)
    exporter_default = (
        current.exporter_url
        if had_config and current.endpoint == endpoint
        else workstation.url_with_port(endpoint, workstation.EXPORTER_PORT)
    )
    exporter_url = _check_url(
        "exporter URL", _ask(exporter_url, "Exporter URL (git commits)", exporter_default, interactive)
    )
    api_key = _ask(api_key, "API key (empty for none)", current.api_key, interactive, hide=True).strip()
    developer_id = _ask(
        developer_id, "Developer id", current.developer_id or workstation.git_user_email(), interactive
    ).strip()
    if not developer_id:
        _fail("no developer id: pass --developer-id or set `git config --global user.email`")
    team = _ask(team, "Team id (empty for none)", current.team_id, interactive).strip()
    chosen = _parse_agents(_ask(agents, "Agents to configure", ",".join(current.agents), interactive))
    same_stack = had_config and current.endpoint == endpoint
    if prometheus_url is not None:
        prometheus_url = _check_url("Prometheus URL", prometheus_url)
    if loki_url is not None:
        loki_url = _check_url("Loki URL", loki_url)
    if no_loki and loki_url:
        _fail("--no-loki and --loki-url exclude each other: pick one")
    plan = current.plan if plan is None else plan.strip().lower()
    if plan and plan not in plan_limits.plans():
        _fail(f"unknown plan {plan!r}: choose from {', '.join(plan_limits.plans())} (or --plan '' for none)")

    ws = workstation.Workstation(
        endpoint=endpoint,
        exporter_url=exporter_url,
        api_key=api_key,
        developer_id=developer_id.lower(),
        team_id=team,
        agents=chosen,
        prometheus_url=prometheus_url if prometheus_url is not None else current.prometheus_url if same_stack else "",
        loki_url=loki_url if loki_url is not None else current.loki_url if same_stack else "",
        without_loki=no_loki or (loki_url is None and same_stack and current.without_loki),
        plan=plan,
    )
    # an endpoint that is not an OTLP/HTTP receiver would leave every agent sending into the void
    probe = doctor_checks.check_collector(ws, ws.endpoint)
    if probe.status != doctor_checks.OK:
        if not yes:
            _fail(f"{probe.detail}: {probe.fix}; or pass --yes to configure this endpoint anyway")
        typer.echo(f"warning: {probe.detail}: {probe.fix}", err=True)
    try:
        config_changed = workstation.save(ws)
        agent_changes = {name: WRITERS[name].apply(ws, home) for name in chosen}
    except (SettingsError, OSError) as e:
        _fail(str(e))
    bridge = None
    if statusline and "claude-code" in chosen:
        try:
            bridge = statusline_install.install(home)
        except (statusline_install.BridgeError, SettingsError, OSError) as e:
            _fail(f"{e} (or pass --no-statusline)")
    hook_change = None
    if hook:
        try:
            hook_change = hook_install.install_global(sys.executable)
        except hook_install.HookError as e:
            _fail(f"{e} (or pass --no-hook)")

    snippet = managed_snippet(ws)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "config": {"path": str(workstation.config_path()), "changed": config_changed},
                    "endpoint": ws.endpoint,
                    "endpoint_check": probe.as_dict(),
                    "exporter_url": ws.exporter_url,
                    "api_key_set": bool(ws.api_key),
                    "developer_id": ws.developer_id,
                    "team_id": ws.team_id,
                    "agents": {
                        name: {"path": str(WRITERS[name].path(home)), "changed": changed}
                        for name, changed in agent_changes.items()
                    },
                    "hook": hook_change.as_dict() if hook_change else None,
                    "statusline": bridge.as_dict() if bridge else None,
                    "plan": ws.plan or None,
                    "prometheus_url": ws.prometheus(),
                    "loki_url": None if ws.without_loki else ws.loki(),
                    "managed_settings": {
                        "paths": claude_code.MANAGED_SETTINGS,
                        "content": snippet,
                        "identity": IDENTITY_NOTE,
                    },
                },
                indent=2,
            )
        )
        return

    def state(changed: bool) -> str:
        return "updated" if changed else "unchanged"

    typer.echo(f"config      {workstation.config_path()} ({state(config_changed)})")
    for name, changed in agent_changes.items():
        typer.echo(f"{name:<11} {WRITERS[name].path(home)} ({state(changed)})")
        if name == "copilot-cli":
            typer.echo(f"            the Copilot CLI reads only its environment: add `. {WRITERS[name].path(home)}`")
            typer.echo("            to your shell profile")
    if bridge:
        own = f"your `{bridge.own}` runs through it" if bridge.own else "you had no status line of your own"
        typer.echo(f"status line {statusline_install.bridge_path()} ({bridge.action}; {own})")
    if hook_change:
        typer.echo(f"git hook    {hook_change.hooks_dir / 'post-commit'} ({hook_change.action})")
        if hook_change.chained:
            typer.echo(f"            your existing hook {hook_change.chained} still runs first")
    typer.echo(
        "\nRestart running agents to pick this up. To roll Claude Code telemetry out to every user of a"
        f"\nmachine, an administrator deploys this as managed-settings.json ({claude_code.MANAGED_SETTINGS['linux']}"
        f" on Linux,\n{claude_code.MANAGED_SETTINGS['darwin']} on macOS):\n"
    )
    typer.echo(json.dumps(snippet, indent=2))
    typer.echo("\n" + textwrap.fill(IDENTITY_NOTE, width=100))
    typer.echo("\nCheck everything with: agent-analytics doctor")
