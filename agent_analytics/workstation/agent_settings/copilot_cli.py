"""GitHub Copilot CLI: its native OpenTelemetry export, configured through the environment.

The CLI reads only environment variables for OTLP (no settings key), and its resource carries
nothing but service.name/version/instance: who the developer is comes from the
OTEL_RESOURCE_ATTRIBUTES written here (the collector turns `developer.id` and `team.id` of this
agent's resource into labels). `init` writes the variables to a file for the shell profile to
source.
"""

import shlex
from pathlib import Path

from agent_analytics.workstation.agent_settings.common import auth_header, format_pairs
from agent_analytics.workstation.config import Workstation, write_text_if_changed


def path(home: Path) -> Path:
    return home / ".copilot" / "agent-analytics.env"


def environment(ws: Workstation) -> dict[str, str]:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": ws.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    }
    identity = {k: v for k, v in {"developer.id": ws.developer_id, "team.id": ws.team_id}.items() if v}
    if identity:
        env["OTEL_RESOURCE_ATTRIBUTES"] = format_pairs(identity)
    if ws.api_key:
        env["OTEL_EXPORTER_OTLP_HEADERS"] = format_pairs({"Authorization": auth_header(ws.api_key)})
    return env


def render(ws: Workstation) -> str:
    lines = [
        "# GitHub Copilot CLI telemetry to Agent Analytics (written by `agent-analytics init`).",
        f"# Add to your shell profile: . {shlex.quote(str(path(Path('~'))))}",
    ]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in environment(ws).items()]
    return "\n".join(lines) + "\n"


def apply(ws: Workstation, home: Path) -> bool:
    target = path(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = None if target.exists() else 0o600  # it may hold the collector's key
    return write_text_if_changed(target, render(ws), mode)


def read(home: Path) -> dict[str, str]:
    """The variables of the file as a shell would set them."""
    try:
        text = path(home).read_text()
    except FileNotFoundError:
        return {}
    env = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, _, value = words[1].partition("=")
            env[key] = value
    return env


def problems(ws: Workstation, home: Path) -> list[str]:
    target = path(home)
    have = read(home)
    if not have:
        return [f"{target} is missing: run agent-analytics init --agents copilot-cli"]
    return [
        f"{key} in {target} is {have.get(key)!r}, expected {want!r}"
        for key, want in environment(ws).items()
        if have.get(key) != want
    ]
