"""Collector configuration: a dataclass read from YAML, with command-line overrides on top."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent_analytics.paths import data_home

from .label_policy import LabelPolicy, PolicyError, load_policy

MiB = 1024 * 1024
DURABILITY = ("fsync", "none")


class ConfigError(ValueError):
    """The configuration is not valid; the message says what to fix."""


def default_data_dir() -> Path:
    return data_home() / "collector"


@dataclass
class CollectorConfig:
    # Interface to listen on; 0.0.0.0 to accept workstations on the network.
    host: str = "127.0.0.1"
    grpc_port: int = 4317
    http_port: int = 4318
    metrics_port: int = 8889
    data_dir: Path = field(default_factory=default_data_dir)
    # Bearer tokens accepted on the OTLP endpoints; empty = no authentication.
    auth_tokens: list[str] = field(default_factory=list)
    # Largest request accepted, compressed or not (gzip bodies are limited after decompression).
    max_request_bytes: int = 4 * MiB
    # Loki base URL (events go to {loki_url}/otlp/v1/logs); empty = NDJSON files in data_dir/events.
    loki_url: str | None = None
    loki_timeout_seconds: float = 5.0
    # Retries back off exponentially from 0.5 s up to this.
    loki_max_backoff_seconds: float = 30.0
    # Keep prompt, response and tool content attributes on events.
    log_prompts: bool = False
    # Overrides of collector/label_policy.yaml (keys `metrics`, `events`), and/or another file.
    label_policy: dict[str, Any] = field(default_factory=dict)
    label_policy_file: Path | None = None
    # On-disk spool of events Loki did not take yet; oldest batches are dropped beyond this.
    spool_max_bytes: int = 64 * MiB
    # NDJSON event files: rotated at this size, this many kept.
    events_file_max_bytes: int = 50 * MiB
    events_file_count: int = 5
    # fsync: a request is answered only once what it added is on disk (survives a power cut).
    # none: no fsync; a crash of the collector still loses nothing, a crash of the machine can.
    durability: str = "fsync"
    # A snapshot of the totals is written this often (and when the log since the last one
    # passes 64 MiB); the write-ahead log holds everything in between.
    persist_interval_seconds: float = 60.0
    # Cumulative streams not seen for this long are forgotten.
    cumulative_stream_ttl_seconds: float = 86400.0

    def policy(self) -> LabelPolicy:
        try:
            return load_policy(self.label_policy, self.label_policy_file)
        except PolicyError as e:
            raise ConfigError(str(e)) from e

    @property
    def state_file(self) -> Path:
        return self.data_dir / "metrics-state.json"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def events_dir(self) -> Path:
        return self.data_dir / "events"


_FIELDS = {f.name: f for f in dataclasses.fields(CollectorConfig)}


def _number(value: Any, whole: bool) -> int | float:
    number = value
    if isinstance(number, str):
        try:
            number = float(number.strip())
        except ValueError:
            number = None
    valid = isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number)
    if not valid or (whole and number != int(number)):
        raise TypeError(f"expected {'a whole number' if whole else 'a number'}, got {value!r}")
    return int(number) if whole else float(number)


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELDS[name].type
    try:
        if kind in ("int", "float"):
            return _number(value, whole=kind == "int")
        if kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if kind in ("Path", "Path | None"):
            return None if value in (None, "") else Path(value).expanduser()
        if kind == "str | None":
            return None if value in (None, "") else str(value).rstrip("/")
        if kind == "list[str]":
            if isinstance(value, str):
                return [value]
            return [str(v) for v in value or []]
        if kind == "dict[str, Any]":
            if not isinstance(value, dict):
                raise TypeError("expected a mapping")
            return value
        return str(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"collector config: {name}: {e}") from None


def load_config(path: Path | None = None, **overrides: Any) -> CollectorConfig:
    """Read `path` (YAML; the keys may sit under a top-level `collector:`), then apply the
    overrides whose value is not None (command-line flags)."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except OSError as e:
            raise ConfigError(f"cannot read {path}: {e.strerror}") from e
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
        if isinstance(data, dict) and isinstance(data.get("collector"), dict):
            data = data["collector"]
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of collector settings")
        values.update(data)
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"unknown collector setting(s): {', '.join(unknown)} (known: {', '.join(_FIELDS)})")
    config = CollectorConfig(**{k: _coerce(k, v) for k, v in values.items()})
    for port in ("grpc_port", "http_port", "metrics_port"):
        if not 0 <= getattr(config, port) <= 65535:
            raise ConfigError(f"collector config: {port} must be between 0 and 65535")
    if config.max_request_bytes < 1024:
        raise ConfigError("collector config: max_request_bytes must be at least 1024")
    for name in ("loki_timeout_seconds", "persist_interval_seconds", "cumulative_stream_ttl_seconds"):
        if getattr(config, name) <= 0:
            raise ConfigError(f"collector config: {name} must be above 0")
    for name, minimum in (
        ("loki_max_backoff_seconds", 0),
        ("spool_max_bytes", 0),
        ("events_file_max_bytes", 1),
        ("events_file_count", 1),
    ):
        if getattr(config, name) < minimum:
            raise ConfigError(f"collector config: {name} must be at least {minimum}")
    if config.durability not in DURABILITY:
        raise ConfigError(
            f"collector config: durability must be one of {', '.join(DURABILITY)}, got {config.durability!r}"
        )
    if config.loki_url is not None and not config.loki_url.startswith(("http://", "https://")):
        raise ConfigError(
            "collector config: loki_url: expected an http(s) URL such as http://localhost:3100,"
            f" got {config.loki_url!r}"
        )
    if config.data_dir.exists() and not config.data_dir.is_dir():
        raise ConfigError(f"collector config: data_dir: {config.data_dir} is not a folder")
    config.policy()  # fail early on a bad policy
    return config
