"""Codex CLI: the `[otel]` table of ~/.codex/config.toml; the rest of the file is kept as written.

Codex exports its events (`codex.api_request`, `codex.sse_event`, ...) as OTLP logs (`exporter`)
and its metrics (`codex.turn.token_usage`, ...) through `metrics_exporter`, whose default sends
them to OpenAI instead. Each takes the full URL (Codex adds no path) and, with a key, the
Authorization header.
"""

from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from agent_analytics.workstation.agent_settings.common import SettingsError, auth_header
from agent_analytics.workstation.config import Workstation, write_text_if_changed

EXPORTER = "otlp-http"


def path(home: Path) -> Path:
    return home / ".codex" / "config.toml"


# [otel] key -> the OTLP/HTTP path it exports to
EXPORTERS = {"exporter": "/v1/logs", "metrics_exporter": "/v1/metrics"}


def exporter_settings(ws: Workstation, key: str = "exporter") -> dict:
    settings: dict = {"endpoint": f"{ws.endpoint}{EXPORTERS[key]}", "protocol": "binary"}
    if ws.api_key:
        settings["headers"] = {"Authorization": auth_header(ws.api_key)}
    return settings


def _read(target: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(target.read_text())
    except FileNotFoundError:
        return tomlkit.document()
    except TOMLKitError as e:
        raise SettingsError(f"{target} is not valid TOML ({e}): fix it, then run init again") from None


def apply(ws: Workstation, home: Path) -> bool:
    target = path(home)
    doc = _read(target)
    otel = doc.get("otel")
    if not isinstance(otel, dict):
        otel = tomlkit.table()
        doc["otel"] = otel
    if otel.get("log_user_prompt") is not False:
        otel["log_user_prompt"] = False  # prompt text stays on the workstation
    for key in EXPORTERS:
        want = exporter_settings(ws, key)
        current = otel.get(key)
        current_http = current.get(EXPORTER) if isinstance(current, dict) else None
        if not (isinstance(current_http, dict) and _plain(current_http) == {**_plain(current_http), **want}):
            exporter = tomlkit.table(is_super_table=True)
            http = tomlkit.table()
            for name, value in {**(_plain(current_http) if isinstance(current_http, dict) else {}), **want}.items():
                http[name] = value
            exporter[EXPORTER] = http
            otel[key] = exporter
    mode = None if target.exists() else 0o600
    return write_text_if_changed(target, tomlkit.dumps(doc), mode)


def _plain(value):
    return value.unwrap() if hasattr(value, "unwrap") else value


def problems(ws: Workstation, home: Path) -> list[str]:
    target = path(home)
    otel = _read(target).get("otel")
    if not isinstance(otel, dict):
        return [f"{target} has no [otel] table"]
    found = []
    for key in EXPORTERS:
        exporter = otel.get(key)
        http = exporter.get(EXPORTER) if isinstance(exporter, dict) else None
        if not isinstance(http, dict):
            found.append(f"otel.{key} in {target} does not export with {EXPORTER}")
            continue
        have = _plain(http)
        found += [
            f"otel.{key}.{EXPORTER}.{name} is {have.get(name)!r}, expected {want!r}"
            for name, want in exporter_settings(ws, key).items()
            if have.get(name) != want
        ]
    return found
