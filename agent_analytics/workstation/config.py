"""The workstation configuration: where this machine sends telemetry and commits, and who it is.

One YAML file under the platform's config folder (`~/.config/agent-analytics/config.yaml` on
Linux, honouring XDG_CONFIG_HOME), readable only by its owner when it holds an API key. The git
hook's spool lives under the platform's state folder. `init` writes the file; the hook, `doctor`
and the other commands read it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import BeforeValidator, Field, model_validator

from agent_analytics.config.errors import ConfigError  # noqa: F401 - raised by load, imported from here
from agent_analytics.config.files import ConfigModel, read_yaml, validate

# Re-exported: callers ask the workstation module where things are.
from agent_analytics.workstation.paths import (  # noqa: F401
    config_dir,
    config_path,
    managed_hooks_dir,
    spool_dir,
    state_dir,
)

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"
EXPORTER_PORT = 9465
PROMETHEUS_PORT = 9090
LOKI_PORT = 3100
DEFAULT_AGENTS = ("claude-code",)


def url_with_port(url: str, port: int) -> str:
    """`url`'s scheme and host with another port and no path: the sibling service on that host."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return urlunsplit((parts.scheme or "http", f"{host}:{port}", "", "", ""))


def git_user_email(cwd: Path | None = None) -> str:
    try:
        out = subprocess.run(
            ["git", "config", "--get", "user.email"], capture_output=True, text=True, timeout=5, cwd=cwd
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip().lower()


def _text(value: Any) -> Any:
    return "" if value is None else str(value) if isinstance(value, str | int | float) else value


def _agent_list(value: Any) -> Any:
    if isinstance(value, str):
        return [a.strip() for a in value.split(",") if a.strip()]
    return value


Setting = Annotated[str, BeforeValidator(_text)]


class Workstation(ConfigModel):
    model_config = {**ConfigModel.model_config, "frozen": False}

    endpoint: Setting = DEFAULT_ENDPOINT
    exporter_url: Setting = ""
    api_key: Setting = ""
    developer_id: Setting = ""
    team_id: Setting = ""
    agents: Annotated[list[str], BeforeValidator(_agent_list)] = Field(default_factory=lambda: list(DEFAULT_AGENTS))
    prometheus_url: Setting = ""  # empty: the endpoint's host, PROMETHEUS_PORT
    loki_url: Setting = ""  # empty: the endpoint's host, LOKI_PORT
    without_loki: bool = False  # the stack keeps events without Loki: doctor looks for none
    plan: Setting = ""  # the developer's Claude plan (agent_analytics/vocabulary/plans.yaml), for the plan fit

    @model_validator(mode="after")
    def _urls(self) -> Workstation:
        self.endpoint = self.endpoint.rstrip("/")
        self.exporter_url = (self.exporter_url or url_with_port(self.endpoint, EXPORTER_PORT)).rstrip("/")
        self.prometheus_url = self.prometheus_url.rstrip("/")
        self.loki_url = self.loki_url.rstrip("/")
        return self

    def prometheus(self) -> str:
        return self.prometheus_url or url_with_port(self.endpoint, PROMETHEUS_PORT)

    def loki(self) -> str:
        return self.loki_url or url_with_port(self.endpoint, LOKI_PORT)

    def to_yaml(self) -> str:
        data = {k: v for k, v in self.model_dump().items() if v not in ("", None) and v is not False}
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def load(path: Path | None = None) -> Workstation:
    path = path or config_path()
    if not path.exists():
        raise ConfigError(f"no workstation config at {path}: run `agent-analytics init`")
    doc = read_yaml(path, "run `agent-analytics init`")
    return validate(Workstation, doc, not_a_mapping="expected the settings `agent-analytics init` writes")


def load_or_none(path: Path | None = None) -> Workstation | None:
    try:
        return load(path)
    except ConfigError:
        return None


def save(ws: Workstation, path: Path | None = None) -> bool:
    """Write the config; returns whether the file changed. Owner-only when it holds a key."""
    path = path or config_path()
    text = ws.to_yaml()
    mode = 0o600 if ws.api_key else 0o644
    return write_text_if_changed(path, text, mode)


def write_text_if_changed(path: Path, text: str, mode: int | None = None) -> bool:
    """Replace `path` atomically with `text` unless it already holds exactly that; fix its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        unchanged = path.read_text() == text
    except (FileNotFoundError, UnicodeDecodeError):
        unchanged = False
    if not unchanged:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode if mode is not None else 0o644)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            if mode is None and path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    if mode is not None and (path.stat().st_mode & 0o777) != mode:
        os.chmod(path, mode)
    return not unchanged
