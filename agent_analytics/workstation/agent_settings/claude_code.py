"""Claude Code: telemetry switched on through the `env` block of ~/.claude/settings.json.

Only the keys below are touched; everything else in the file (permissions, hooks, other
environment variables) stays as it was. OTEL_RESOURCE_ATTRIBUTES gets `developer.id` and
`team.id` merged into whatever the user already has there: Claude Code copies every key onto
every metric point, and metric export has been seen to stop silently past about 12 attributes,
so nothing else is added.
"""

from pathlib import Path

from agent_analytics.workstation.agent_settings.common import (
    auth_header,
    format_pairs,
    parse_pairs,
    read_json,
    write_json,
)
from agent_analytics.workstation.config import Workstation

RESOURCE_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES"
HEADERS = "OTEL_EXPORTER_OTLP_HEADERS"

# Where an administrator deploys the same `env` block for every user of a machine.
MANAGED_SETTINGS = {
    "linux": "/etc/claude-code/managed-settings.json",
    "darwin": "/Library/Application Support/ClaudeCode/managed-settings.json",
}


def path(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def fixed_env(ws: Workstation) -> dict[str, str]:
    """The variables whose value follows from the config alone."""
    return {
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": ws.endpoint,
        # One series per session would multiply cardinality; events keep the session id.
        "OTEL_METRICS_INCLUDE_SESSION_ID": "false",
    }


def identity(ws: Workstation) -> dict[str, str]:
    ids = {"developer.id": ws.developer_id, "team.id": ws.team_id}
    return {k: v for k, v in ids.items() if v}


def merged_env(ws: Workstation, current: dict) -> dict:
    env = dict(current)
    env.update(fixed_env(ws))
    attrs = parse_pairs(str(env.get(RESOURCE_ATTRIBUTES, "")))
    attrs.update(identity(ws))
    if attrs:
        env[RESOURCE_ATTRIBUTES] = format_pairs(attrs)
    if ws.api_key:
        headers = parse_pairs(str(env.get(HEADERS, "")))
        headers["Authorization"] = auth_header(ws.api_key)
        env[HEADERS] = format_pairs(headers)
    return env


def apply(ws: Workstation, home: Path) -> bool:
    target = path(home)
    settings = read_json(target)
    env = settings.get("env")
    settings["env"] = merged_env(ws, env if isinstance(env, dict) else {})
    return write_json(target, settings)


def problems(ws: Workstation, home: Path) -> list[str]:
    target = path(home)
    env = read_json(target).get("env")
    if not isinstance(env, dict):
        return [f"{target} has no env block"]
    found = []
    for key, want in fixed_env(ws).items():
        if str(env.get(key, "")) != want:
            found.append(f"{key} is {env.get(key)!r}, expected {want!r}")
    attrs = parse_pairs(str(env.get(RESOURCE_ATTRIBUTES, "")))
    for key, want in identity(ws).items():
        if attrs.get(key) != want:
            found.append(f"{RESOURCE_ATTRIBUTES} has {key}={attrs.get(key)!r}, expected {want!r}")
    if ws.api_key and parse_pairs(str(env.get(HEADERS, ""))).get("Authorization") != auth_header(ws.api_key):
        found.append(f"{HEADERS} does not carry the configured API key")
    return found


def managed_settings_snippet(ws: Workstation) -> dict:
    """The `managed-settings.json` content that rolls the same settings out to every user.

    Only keys that are the same for everyone: a managed `env` wins key by key over each user's
    own, so OTEL_RESOURCE_ATTRIBUTES there would replace every developer's `developer.id` (and
    give everyone the administrator's `team.id`). Identity comes from each developer's `init`.
    The bearer token is the organisation's, shared by every workstation.
    """
    env = fixed_env(ws)
    if ws.api_key:
        env[HEADERS] = format_pairs({"Authorization": auth_header(ws.api_key)})
    return {"env": env}
