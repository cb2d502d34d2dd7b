"""The project's own OTLP -> Prometheus naming: metric names, unit suffixes and label names,
following the OpenTelemetry specification's Prometheus compatibility rules (the same names the
OTel Collector's prometheus exporter and the SDK's Prometheus reader write). The unit table is
data, in prometheus_units.yaml."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

_TABLES = yaml.safe_load(Path(__file__).with_name("prometheus_units.yaml").read_text())
UNITS: dict[str, str] = {str(k): str(v) for k, v in _TABLES["units"].items()}
PER_UNITS: dict[str, str] = {str(k): str(v) for k, v in _TABLES["per_units"].items()}

_NOT_IN_NAME = re.compile(r"[^a-zA-Z0-9:]+")
_NOT_IN_LABEL = re.compile(r"[^a-zA-Z0-9]+")
_ANNOTATION = re.compile(r"{.*}")


def _leading_digit(text: str) -> str:
    return "_" + text[1:] if text and text[0].isdigit() else text


@functools.lru_cache(maxsize=4096)
def metric_name(name: str) -> str:
    """claude_code.cost.usage -> claude_code_cost_usage (a leading digit becomes `_`)."""
    return _NOT_IN_NAME.sub("_", _leading_digit(name))


@functools.lru_cache(maxsize=65536)
def label_name(key: str) -> str:
    """user.id -> user_id (colons are not allowed in label names)."""
    return _NOT_IN_LABEL.sub("_", _leading_digit(key))


@functools.lru_cache(maxsize=1024)
def unit_suffix(unit: str) -> str:
    """USD -> USD, ms -> milliseconds, By/s -> bytes_per_second, {request} -> '' ."""
    unit = _ANNOTATION.sub("", unit)
    if unit in UNITS:
        return UNITS[unit]
    top, slash, bottom = unit.partition("/")
    if slash:
        bottom = _NOT_IN_NAME.sub("_", bottom)
        if bottom:
            top = _NOT_IN_NAME.sub("_", top)
            top = UNITS.get(top, top)
            bottom = PER_UNITS.get(bottom, bottom)
            return f"{top}_per_{bottom}" if top else f"per_{bottom}"
    return _NOT_IN_NAME.sub("_", unit).strip("_")


def exposed_name(name: str, unit: str, counter: bool, histogram: bool) -> str:
    """The family name written on /metrics (a counter's samples add `_total` to it)."""
    family = metric_name(name)
    if counter and family.endswith("_total"):
        family = family[: -len("_total")]
    suffix = unit_suffix(unit)
    if suffix and not family.endswith("_" + suffix):
        family += "_" + suffix
    return family


@functools.lru_cache(maxsize=65536)
def usable_label(key: str, histogram: bool) -> bool:
    """Whether an attribute gives a label Prometheus accepts: not empty once sanitised, not
    reserved (`__...`), and not the `le` of histogram buckets. Anything else would make the
    whole page unreadable for Prometheus."""
    label = label_name(key)
    return bool(label) and not label.startswith("__") and not (histogram and label == "le")
