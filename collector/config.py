"""Collector configuration: a model read from YAML, with command-line overrides on top."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from agent_analytics.config.errors import ConfigError  # noqa: F401 - raised by load_config, imported from here
from agent_analytics.config.files import ConfigModel, Document, read_yaml, validate
from agent_analytics.config.paths import data_home
from agent_analytics.config.types import TextList, port_number

from .label_policy import LabelPolicy, PolicyOverride, load_policy

MiB = 1024 * 1024
Port = port_number(0)  # 0 picks a free port
Positive = Annotated[float, Field(gt=0)]
AtLeastZero = Annotated[float, Field(ge=0)]


def default_data_dir() -> Path:
    return data_home() / "collector"


def _path(value: Any) -> Any:
    return None if value in (None, "") else Path(str(value)).expanduser()


def _flag(value: Any) -> Any:
    # Environment-style words count too: the value often comes from a deployment's variables.
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value


class CollectorSettings(ConfigModel):
    """What the collector does with what it receives; the stack file's `collector:` section."""

    model_config = {**ConfigModel.model_config, "frozen": False}

    # Interface to listen on; 0.0.0.0 to accept workstations on the network.
    host: str = "127.0.0.1"
    # Bearer tokens accepted on the OTLP endpoints; empty = no authentication.
    auth_tokens: TextList = Field(default_factory=list)
    # Largest request accepted, compressed or not (gzip bodies are limited after decompression).
    max_request_bytes: Annotated[int, Field(ge=1024)] = 4 * MiB
    # Loki base URL (events go to {loki_url}/otlp/v1/logs); empty = NDJSON files in data_dir/events.
    loki_url: str | None = None
    loki_timeout_seconds: Positive = 5.0
    # Retries back off exponentially from 0.5 s up to this.
    loki_max_backoff_seconds: AtLeastZero = 30.0
    # Keep prompt, response and tool content attributes on events.
    log_prompts: Annotated[bool, BeforeValidator(_flag)] = False
    # Overrides of collector/label_policy.yaml (keys `metrics`, `events`), and/or another file.
    label_policy: PolicyOverride = Field(default_factory=PolicyOverride)
    label_policy_file: Annotated[Path | None, BeforeValidator(_path)] = None
    # On-disk spool of events Loki did not take yet; oldest batches are dropped beyond this.
    spool_max_bytes: Annotated[int, Field(ge=0)] = 64 * MiB
    # NDJSON event files: rotated at this size, this many kept.
    events_file_max_bytes: Annotated[int, Field(ge=1)] = 50 * MiB
    events_file_count: Annotated[int, Field(ge=1)] = 5
    # fsync: a request is answered only once what it added is on disk (survives a power cut).
    # none: no fsync; a crash of the collector still loses nothing, a crash of the machine can.
    durability: Literal["fsync", "none"] = "fsync"
    # A snapshot of the totals is written this often (and when the log since the last one
    # passes 64 MiB); the write-ahead log holds everything in between.
    persist_interval_seconds: Positive = 60.0
    # Cumulative streams not seen for this long are forgotten.
    cumulative_stream_ttl_seconds: Positive = 86400.0

    @field_validator("loki_url", mode="before")
    @classmethod
    def _loki_url(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        text = str(value).rstrip("/")
        if not text.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL such as http://localhost:3100, got {text!r}")
        return text


class CollectorConfig(CollectorSettings):
    """The collector's settings, with where it listens and keeps its data."""

    grpc_port: Port = 4317
    http_port: Port = 4318
    metrics_port: Port = 8889
    data_dir: Annotated[Path, BeforeValidator(_path)] = Field(default_factory=default_data_dir)

    @field_validator("data_dir", mode="after")
    @classmethod
    def _a_folder(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is not a folder")
        return value

    def policy(self) -> LabelPolicy:
        return load_policy(self.label_policy, self.label_policy_file)

    @property
    def state_file(self) -> Path:
        return self.data_dir / "metrics-state.json"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def events_dir(self) -> Path:
        return self.data_dir / "events"


MISSING_FILE_HINT = "pass --config with the path of the collector's YAML file"


def collector_from(doc: Document, overrides: dict[str, Any]) -> CollectorConfig:
    """The settings of `doc` (the keys may sit under `collector:`) with `overrides` on top."""
    prefix: tuple[str, ...] = ()
    if isinstance(doc.data, dict) and isinstance(doc.data.get("collector"), dict):
        doc, prefix = doc.section("collector"), ("collector",)
    if doc.data is not None and not isinstance(doc.data, dict):
        raise ConfigError(f"{doc.source}: expected a mapping of collector settings, got {type(doc.data).__name__}")
    merged = {**(doc.data or {}), **{k: v for k, v in overrides.items() if v is not None}}
    # A flag's value has no line in the file.
    lines = {loc: line for loc, line in doc.lines.items() if loc[0] not in overrides or overrides[loc[0]] is None}
    config = validate(CollectorConfig, Document(merged, doc.source, lines), prefix=prefix)
    config.policy()  # fail early on a bad policy
    return config


def load_config(path: Path | None = None, **overrides: Any) -> CollectorConfig:
    """Read `path` (YAML; the keys may sit under a top-level `collector:`), then apply the
    overrides whose value is not None (command-line flags)."""
    doc = read_yaml(path, MISSING_FILE_HINT) if path is not None else Document({}, "collector config")
    return collector_from(doc, overrides)
