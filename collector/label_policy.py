"""The label policy: which point attributes become labels, how values are rewritten, how many
series a metric may have, and which event attributes are content. Data lives in
label_policy.yaml; this module only loads it and applies overrides."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_POLICY_FILE = Path(__file__).with_name("label_policy.yaml")


class PolicyError(ValueError):
    """The label policy is not valid; the message says which key."""


@dataclass(frozen=True)
class LabelPolicy:
    drop_attributes: frozenset[str]
    # attribute -> function rewriting its value
    rewrites: dict[str, Callable[[str], str]]
    developer_header: str
    developer_attribute: str
    cardinality_limit: int
    cardinality_limits: dict[str, int] = field(default_factory=dict)
    content_attributes: frozenset[str] = frozenset()
    # service.name -> resource attributes copied onto its points that lack them
    resource_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    content_resource_attributes: frozenset[str] = frozenset()

    def limit_for(self, metric: str) -> int:
        return self.cardinality_limits.get(metric, self.cardinality_limit)


def _rewriter(rules: list[tuple[re.Pattern[str], str]]) -> Callable[[str], str]:
    # Memoised: the same few model names arrive on every point.
    @functools.lru_cache(maxsize=4096)
    def rewrite(value: str) -> str:
        for pattern, replacement in rules:
            value = pattern.sub(replacement, value)
        return value

    return rewrite


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key in ("metrics", "events"):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def load_policy(override: dict[str, Any] | None = None, path: Path | None = None) -> LabelPolicy:
    """The policy of `path` (default: the shipped label_policy.yaml) with `override` applied."""
    source = path or DEFAULT_POLICY_FILE
    try:
        data = yaml.safe_load(source.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise PolicyError(f"cannot read label policy {source}: {e}") from e
    if override:
        if not isinstance(override, dict):
            raise PolicyError("label_policy must be a mapping with keys metrics and/or events")
        data = _merge(data, override)
    metrics = data.get("metrics") or {}
    events = data.get("events") or {}
    try:
        rewrites = {}
        for attribute, rules in (metrics.get("rewrite_values") or {}).items():
            compiled = [(re.compile(rule["pattern"]), str(rule.get("replace", ""))) for rule in rules]
            rewrites[str(attribute)] = _rewriter(compiled)
        limits = {str(k): int(v) for k, v in (metrics.get("cardinality_limits") or {}).items()}
        policy = LabelPolicy(
            drop_attributes=frozenset(str(a) for a in metrics.get("drop_attributes") or []),
            rewrites=rewrites,
            developer_header=str(metrics.get("developer_header") or "x-developer-id").lower(),
            developer_attribute=str(metrics.get("developer_attribute") or "developer.id"),
            cardinality_limit=int(metrics.get("cardinality_limit", 5000)),
            cardinality_limits=limits,
            content_attributes=frozenset(str(a) for a in events.get("content_attributes") or []),
            resource_labels={
                str(agent): tuple(str(a) for a in keys or [])
                for agent, keys in (metrics.get("resource_labels") or {}).items()
            },
            content_resource_attributes=frozenset(str(a) for a in events.get("content_resource_attributes") or []),
        )
    except (KeyError, TypeError, ValueError, re.error) as e:
        raise PolicyError(f"invalid label policy ({source}): {e}") from e
    if policy.cardinality_limit < 1 or any(v < 1 for v in limits.values()):
        raise PolicyError("label policy: cardinality limits must be at least 1")
    return policy
