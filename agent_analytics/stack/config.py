"""The YAML file of `agent-analytics up`: ports, the collector's and exporter's own settings, and alerting.

    ports:        {otlp_grpc: 4317, otlp_http: 4318, collector_metrics: 8889, exporter: 9465,
                   prometheus: 9090, loki: 3100, grafana: 3000, alertmanager: 9093}
    collector:    # the collector's settings (see `agent-analytics collector --help`), minus ports/data_dir
      host: 127.0.0.1
    exporter:     # the exporter's config format, e.g.
      repos: [~/src/api]
    prometheus:   {scrape_interval: 15s, retention: 400d}
    alerting:     # who gets paged and who gets tickets, per team (agent_analytics/alerting/routing.py)
      receivers: {ops: {webhook: {url: https://hooks.example.com/alerts}}}
      default: {page: ops, ticket: ops}

Every section is optional; flags of `up` override `ports`.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, create_model, field_validator

from agent_analytics.alerting.routing import AlertingConfig, check_routes
from agent_analytics.collector.config import CollectorSettings
from agent_analytics.config.errors import ConfigError
from agent_analytics.config.files import At, ConfigModel, Document, read_yaml, validate
from agent_analytics.config.types import port_number
from agent_analytics.exporter.config import ExporterConfig
from agent_analytics.vocabulary.facts import RETENTION

from .ports import DEFAULT_PORTS

# Prometheus' duration syntax (units largest first, each at most once), e.g. 15s, 400d, 1h30m.
PROMETHEUS_DURATION = re.compile(r"(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?")
PROMETHEUS_DEFAULTS = {"scrape_interval": "15s", "evaluation_interval": "1m", "retention": RETENTION}
COLLECTOR_OWN_KEYS = {"grpc_port": "otlp_grpc", "http_port": "otlp_http", "metrics_port": "collector_metrics"}
MISSING_FILE_HINT = "pass --config with the stack's YAML file"

StackPort = port_number(1)
Ports = create_model(
    "Ports", __base__=ConfigModel, **{name: (StackPort, default) for name, default in DEFAULT_PORTS.items()}
)


def _duration(value: Any, default: str) -> str:
    text = str(value).strip()
    if not PROMETHEUS_DURATION.fullmatch(text) or not any(c.isdigit() for c in text):
        raise ValueError(f"expected a Prometheus duration such as {default}, 90d or 1h30m, got {value!r}")
    return text


class PrometheusSettings(ConfigModel):
    scrape_interval: str = PROMETHEUS_DEFAULTS["scrape_interval"]
    evaluation_interval: str = PROMETHEUS_DEFAULTS["evaluation_interval"]
    retention: str = PROMETHEUS_DEFAULTS["retention"]

    @field_validator("*", mode="before")
    @classmethod
    def _durations(cls, value: Any, info) -> str:
        return _duration(value, PROMETHEUS_DEFAULTS[info.field_name])


class StackFile(ConfigModel):
    """The file of `up --config`: every section optional."""

    ports: Ports = Field(default_factory=Ports)
    collector: CollectorSettings = Field(default_factory=CollectorSettings)
    exporter: ExporterConfig = Field(default_factory=ExporterConfig)
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)

    @field_validator("collector", mode="before")
    @classmethod
    def _set_by_up(cls, value: Any) -> Any:
        for key in value if isinstance(value, dict) else ():
            if key == "data_dir":
                raise At(key, "`up` sets it; use --data-dir instead")
            if key in COLLECTOR_OWN_KEYS:
                raise At(key, f"`up` sets it; use ports.{COLLECTOR_OWN_KEYS[key]} instead")
        return value


@dataclass
class StackConfig:
    path: Path | None
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    # the collector settings the file sets (the collector's own defaults apply to the rest)
    collector: dict[str, Any] = field(default_factory=dict)
    exporter: ExporterConfig = field(default_factory=ExporterConfig)
    prometheus: dict[str, str] = field(default_factory=lambda: dict(PROMETHEUS_DEFAULTS))
    alerting: AlertingConfig = field(default_factory=AlertingConfig)


def stack_from(doc: Document, base_dir: Path, check_paths: bool = True) -> StackFile:
    parsed = validate(
        StackFile,
        doc,
        {"base_dir": base_dir, "check_paths": check_paths},
        not_a_mapping=f"expected a mapping with sections {', '.join(StackFile.model_fields)}",
    )
    check_routes(parsed.alerting, doc.section("alerting"), ("alerting",))
    return parsed


def load_stack_config(path: Path | None, port_flags: dict[str, int | None] | None = None) -> StackConfig:
    doc = read_yaml(path, MISSING_FILE_HINT) if path is not None else Document({}, "config")
    base = Path(path).expanduser().resolve().parent if path is not None else Path.cwd()
    parsed = stack_from(doc, base)
    config = StackConfig(
        path=Path(path).expanduser() if path else None,
        ports=parsed.ports.model_dump(),
        collector=parsed.collector.model_dump(exclude_unset=True),
        exporter=parsed.exporter,
        prometheus=parsed.prometheus.model_dump(),
        alerting=parsed.alerting,
    )
    for name, value in (port_flags or {}).items():
        if value is not None:
            config.ports[name] = value
    return config


__all__ = ["ConfigError", "StackConfig", "load_stack_config"]
