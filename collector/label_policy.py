"""The label policy: which point attributes become labels, how values are rewritten, how many
series a metric may have, and which event attributes are content. Data lives in
label_policy.yaml; this module only loads it and applies overrides."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from agent_analytics.config.files import ConfigModel, Document, read_yaml, validate
from agent_analytics.vocabulary.model_names import normalise_model

DEFAULT_POLICY_FILE = Path(__file__).with_name("label_policy.yaml")


def _regex(value: Any) -> Any:
    try:
        re.compile(str(value))
    except re.error as e:
        raise ValueError(f"not a valid regular expression ({e})") from None
    return str(value)


Limit = Annotated[int, Field(ge=1)]


class Rewrite(ConfigModel):
    pattern: Annotated[str, BeforeValidator(_regex)]
    replace: str = ""


class MetricsPolicy(ConfigModel):
    """Every key optional: an override names only what it changes (lists and maps are replaced)."""

    drop_attributes: list[str] | None = None
    rewrite_values: dict[str, list[Rewrite]] | None = None
    developer_header: str | None = None
    developer_attribute: str | None = None
    cardinality_limit: Limit | None = None
    cardinality_limits: dict[str, Limit] | None = None
    # service.name -> resource attributes copied onto its points that lack them
    resource_labels: dict[str, list[str]] | None = None


class EventsPolicy(ConfigModel):
    content_attributes: list[str] | None = None
    content_resource_attributes: list[str] | None = None


class PolicyOverride(ConfigModel):
    """The label policy file, or the `label_policy` key of the collector config overriding it."""

    metrics: MetricsPolicy = Field(default_factory=MetricsPolicy)
    events: EventsPolicy = Field(default_factory=EventsPolicy)


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


def _merged(base: PolicyOverride, override: PolicyOverride) -> PolicyOverride:
    def section(name: str) -> dict[str, Any]:
        return {
            **getattr(base, name).model_dump(exclude_none=True),
            **getattr(override, name).model_dump(exclude_none=True),
        }

    return PolicyOverride.model_validate({"metrics": section("metrics"), "events": section("events")})


def read_policy_file(path: Path) -> PolicyOverride:
    return validate(PolicyOverride, read_yaml(path, "give label_policy_file the path of a label policy YAML file"))


def load_policy(override: PolicyOverride | dict[str, Any] | None = None, path: Path | None = None) -> LabelPolicy:
    """The policy of `path` (default: the shipped label_policy.yaml) with `override` applied."""
    data = read_policy_file(path or DEFAULT_POLICY_FILE)
    if override:
        if isinstance(override, dict):
            override = validate(PolicyOverride, Document(override, "label_policy"))
        data = _merged(data, override)
    metrics, events = data.metrics, data.events
    rewrites = {
        attribute: _rewriter([(re.compile(rule.pattern), rule.replace) for rule in rules])
        for attribute, rules in (metrics.rewrite_values or {}).items()
    }
    rewrites.setdefault("model", normalise_model)
    return LabelPolicy(
        drop_attributes=frozenset(metrics.drop_attributes or ()),
        rewrites=rewrites,
        developer_header=(metrics.developer_header or "x-developer-id").lower(),
        developer_attribute=metrics.developer_attribute or "developer.id",
        cardinality_limit=metrics.cardinality_limit or 5000,
        cardinality_limits=dict(metrics.cardinality_limits or {}),
        content_attributes=frozenset(events.content_attributes or ()),
        resource_labels={agent: tuple(keys) for agent, keys in (metrics.resource_labels or {}).items()},
        content_resource_attributes=frozenset(events.content_resource_attributes or ()),
    )
