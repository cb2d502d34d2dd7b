"""Codex CLI: the `[otel]` table of ~/.codex/config.toml; the rest of the file is kept as written.

Codex exports its events (`codex.api_request`, `codex.sse_event`, ...) as OTLP logs; the
exporter block takes the full logs URL and, with a key, the Authorization header.
"""

from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from agent_analytics.workstation.agent_settings.common import SettingsError, auth_header
from agent_analytics.workstation.config import Workstation, write_text_if_changed

EXPORTER = "otlp-http"


def path(home: Path) -> Path:
    return home / ".codex" / "config.toml"


def exporter_settings(ws: Workstation) -> dict:
    settings: dict = {"endpoint": f"{ws.endpoint}/v1/logs", "protocol": "binary"}
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
    want = exporter_settings(ws)
    current = otel.get("exporter")
    current_http = current.get(EXPORTER) if isinstance(current, dict) else None
    if not (isinstance(current_http, dict) and _plain(current_http) == {**_plain(current_http), **want}):
        exporter = tomlkit.table(is_super_table=True)
        http = tomlkit.table()
        for key, value in {**(_plain(current_http) if isinstance(current_http, dict) else {}), **want}.items():
            http[key] = value
        exporter[EXPORTER] = http
        otel["exporter"] = exporter
    mode = None if target.exists() else 0o600
    return write_text_if_changed(target, tomlkit.dumps(doc), mode)


def _plain(value):
    return value.unwrap() if hasattr(value, "unwrap") else value


def problems(ws: Workstation, home: Path) -> list[str]:
    target = path(home)
    otel = _read(target).get("otel")
    if not isinstance(otel, dict):
        return [f"{target} has no [otel] table"]
    exporter = otel.get("exporter")
    http = exporter.get(EXPORTER) if isinstance(exporter, dict) else None
    if not isinstance(http, dict):
        return [f"[otel] in {target} does not export with {EXPORTER}"]
    have = _plain(http)
    return [
        f"otel.exporter.{EXPORTER}.{key} is {have.get(key)!r}, expected {want!r}"
        for key, want in exporter_settings(ws).items()
        if have.get(key) != want
    ]
