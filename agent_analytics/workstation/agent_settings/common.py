"""What the settings writers share: their error, and JSON settings files merged without losing keys."""

import json
from pathlib import Path
from urllib.parse import unquote

from agent_analytics.workstation.config import write_text_if_changed


class SettingsError(Exception):
    """An agent's settings file exists but cannot be merged safely; the message says what to fix."""


def read_json(path: Path) -> dict:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SettingsError(f"{path} is not valid JSON ({e}): fix it, then run init again") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path} does not hold a JSON object: fix it, then run init again")
    return data


def write_json(path: Path, data: dict) -> bool:
    # An existing file keeps its mode (it may hold secrets); a new one is owner-only.
    mode = None if path.exists() else 0o600
    return write_text_if_changed(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", mode)


def parse_pairs(text: str) -> dict[str, str]:
    """`k1=v1,k2=v2` as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS write it."""
    pairs: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            pairs[key.strip()] = unquote(value.strip())
    return pairs


def format_pairs(pairs: dict[str, str]) -> str:
    # Only what the list syntax itself needs is percent-encoded: "Authorization=Bearer x" stays readable.
    return ",".join(f"{k}={_encode(v)}" for k, v in pairs.items())


def _encode(value: str) -> str:
    return value.replace("%", "%25").replace(",", "%2C").replace("=", "%3D")


def auth_header(api_key: str) -> str:
    return f"Bearer {api_key}"
