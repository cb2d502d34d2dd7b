"""Gemini CLI: the `telemetry` block of ~/.gemini/settings.json, merged into what is there.

`otlpEndpoint` is the collector's base URL: with `otlpProtocol: http`, current Gemini CLI
releases add `/v1/metrics`, `/v1/logs` and `/v1/traces` themselves. No API key is written
here; where the collector requires one, set OTEL_EXPORTER_OTLP_HEADERS in the environment
Gemini CLI runs in.

Gemini CLI exports cumulative sums (delta only through an environment variable, not a setting):
both collector forms turn them into increments per stream before dropping `session.id` and
`installation.id`, so the default is left as it is.
"""

from pathlib import Path

from agent_analytics.workstation.agent_settings.common import read_json, write_json
from agent_analytics.workstation.config import Workstation


def path(home: Path) -> Path:
    return home / ".gemini" / "settings.json"


def wanted(ws: Workstation) -> dict:
    return {
        "enabled": True,
        "target": "local",
        "otlpEndpoint": ws.endpoint,
        "otlpProtocol": "http",
        "logPrompts": False,  # prompt text stays on the workstation
    }


def apply(ws: Workstation, home: Path) -> bool:
    target = path(home)
    settings = read_json(target)
    block = settings.get("telemetry")
    block = dict(block) if isinstance(block, dict) else {}
    block.update(wanted(ws))
    settings["telemetry"] = block
    return write_json(target, settings)


def problems(ws: Workstation, home: Path) -> list[str]:
    target = path(home)
    block = read_json(target).get("telemetry")
    if not isinstance(block, dict):
        return [f"{target} has no telemetry block"]
    return [
        f"telemetry.{key} is {block.get(key)!r}, expected {want!r}"
        for key, want in wanted(ws).items()
        if block.get(key) != want
    ]
