"""The YAML file of `agent-analytics up`: ports, and the collector's and exporter's own settings.

    ports:        {otlp_grpc: 4317, otlp_http: 4318, collector_metrics: 8889, exporter: 9465,
                   prometheus: 9090, loki: 3100, grafana: 3000}
    collector:    # the collector's settings (see `agent-analytics collector --help`), minus ports/data_dir
      host: 127.0.0.1
    exporter:     # the exporter's config format, e.g.
      repos: [~/src/api]
    prometheus:   {scrape_interval: 15s, retention: 400d}

Every section is optional; flags of `up` override `ports`.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent_analytics.exporter.config import ConfigError as ExporterConfigError
from agent_analytics.exporter.config import ExporterConfig, parse_config
from agent_analytics.facts import RETENTION

DEFAULT_PORTS = {
    "otlp_grpc": 4317,
    "otlp_http": 4318,
    "collector_metrics": 8889,
    "exporter": 9465,
    "prometheus": 9090,
    "loki": 3100,
    "grafana": 3000,
}
PORT_FLAGS = {name: "--" + name.replace("_", "-") + "-port" for name in DEFAULT_PORTS}
PORT_OWNERS = {
    "otlp_grpc": "collector OTLP/gRPC",
    "otlp_http": "collector OTLP/HTTP",
    "collector_metrics": "collector /metrics",
    "exporter": "exporter",
    "prometheus": "Prometheus",
    "loki": "Loki",
    "grafana": "Grafana",
}
# Prometheus' duration syntax (units largest first, each at most once), e.g. 15s, 400d, 1h30m.
PROMETHEUS_DURATION = re.compile(r"(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?")
PROMETHEUS_DEFAULTS = {"scrape_interval": "15s", "evaluation_interval": "1m", "retention": RETENTION}
SECTIONS = {"ports", "collector", "exporter", "prometheus"}
COLLECTOR_OWN_KEYS = {"grpc_port": "otlp_grpc", "http_port": "otlp_http", "metrics_port": "collector_metrics"}


class StackConfigError(ValueError):
    """A problem in the file, worded for the person who wrote it."""


@dataclass
class StackConfig:
    path: Path | None
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    collector: dict[str, Any] = field(default_factory=dict)
    exporter: ExporterConfig = field(default_factory=ExporterConfig)
    prometheus: dict[str, str] = field(default_factory=lambda: dict(PROMETHEUS_DEFAULTS))


def _section(raw: dict, name: str, where: str) -> dict:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise StackConfigError(f"{where}: {name}: expected a mapping of settings")
    return value


def load_stack_config(path: Path | None, port_flags: dict[str, int | None] | None = None) -> StackConfig:
    raw: Any = {}
    where = str(path) if path else "config"
    if path is not None:
        try:
            raw = yaml.safe_load(Path(path).expanduser().read_text()) or {}
        except FileNotFoundError:
            raise StackConfigError(f"{path}: no such file (pass --config with the stack's YAML file)") from None
        except OSError as e:
            raise StackConfigError(f"{path}: cannot read it ({e.strerror})") from None
        except yaml.YAMLError as e:
            raise StackConfigError(f"{path}: not valid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(raw, dict):
        raise StackConfigError(f"{where}: expected a mapping with sections {', '.join(sorted(SECTIONS))}")
    unknown = sorted(set(raw) - SECTIONS)
    if unknown:
        raise StackConfigError(f"{where}: {unknown[0]}: unknown section; expected one of {', '.join(sorted(SECTIONS))}")

    config = StackConfig(path=Path(path).expanduser() if path else None)
    for name, value in _section(raw, "ports", where).items():
        if name not in DEFAULT_PORTS:
            raise StackConfigError(f"{where}: ports.{name}: unknown port; expected one of {', '.join(DEFAULT_PORTS)}")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            raise StackConfigError(f"{where}: ports.{name}: expected a port number 1-65535, got {value!r}")
        config.ports[name] = value
    for name, value in (port_flags or {}).items():
        if value is not None:
            config.ports[name] = value

    config.collector = dict(_section(raw, "collector", where))
    for key in ("data_dir", *COLLECTOR_OWN_KEYS):
        if key in config.collector:
            better = f"ports.{COLLECTOR_OWN_KEYS[key]}" if key in COLLECTOR_OWN_KEYS else "--data-dir"
            raise StackConfigError(f"{where}: collector.{key}: `up` sets it; use {better} instead")

    base = config.path.resolve().parent if config.path else Path.cwd()
    try:
        config.exporter = parse_config(_section(raw, "exporter", where), base_dir=base)
    except ExporterConfigError as e:
        raise StackConfigError(f"{where}: exporter.{e}") from None

    prometheus = _section(raw, "prometheus", where)
    unknown = sorted(set(prometheus) - set(PROMETHEUS_DEFAULTS))
    if unknown:
        raise StackConfigError(
            f"{where}: prometheus.{unknown[0]}: unknown key; expected {', '.join(PROMETHEUS_DEFAULTS)}"
        )
    for key, value in prometheus.items():
        text = str(value).strip()
        if not PROMETHEUS_DURATION.fullmatch(text) or not any(c.isdigit() for c in text):
            raise StackConfigError(
                f"{where}: prometheus.{key}: expected a Prometheus duration such as"
                f" {PROMETHEUS_DEFAULTS[key]}, 90d or 1h30m, got {value!r}"
            )
        config.prometheus[key] = text
    return config
