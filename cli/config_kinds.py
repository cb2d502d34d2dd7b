"""The config files the product reads, by kind: their model (for `config schema`) and how
`config check` validates one without starting anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pydantic

from agent_analytics.config.errors import UserError
from agent_analytics.config.files import Document, read_yaml, validate


@dataclass(frozen=True)
class Kind:
    name: str
    what: str  # which file it is, for people
    model: Callable[[], type[pydantic.BaseModel]]  # imported when asked: the models pull in their packages
    check: Callable[[Document, Path], list[str]]  # validates; returns warnings
    wrapper: str | None = None  # a top-level key the settings may sit under


def _exporter_model():
    from agent_analytics.exporter.config import ExporterConfig

    return ExporterConfig


def _repo_warnings(repos, where: str) -> list[str]:
    from agent_analytics.exporter.config import repository_problem

    return [f"{where}[{i}]: {problem}" for i, path in enumerate(repos) if (problem := repository_problem(path))]


def _check_exporter(doc: Document, base: Path) -> list[str]:
    from agent_analytics.exporter.config import exporter_from

    return _repo_warnings(exporter_from(doc, base, check_paths=False).repos, "repos")


def _stack_model():
    from agent_analytics.stack.config import StackFile

    return StackFile


def _secret_warnings(alerting, where: str = "") -> list[str]:
    return [
        f"{where}{key}: the {secret.where()} is missing or empty here (Alertmanager needs it where it runs)"
        for key, secret in alerting.secrets()
        if secret.read() is None
    ]


def _check_stack(doc: Document, base: Path) -> list[str]:
    from agent_analytics.stack.config import stack_from

    parsed = stack_from(doc, base, check_paths=False)
    return _repo_warnings(parsed.exporter.repos, "exporter.repos") + _secret_warnings(parsed.alerting, "alerting.")


def _alerting_model():
    from agent_analytics.alerting.routing import AlertingConfig

    return AlertingConfig


def _check_alerting(doc: Document, base: Path) -> list[str]:
    from agent_analytics.alerting.routing import alerting_from

    return _secret_warnings(alerting_from(doc, base))


def _collector_model():
    from agent_analytics.collector.config import CollectorConfig

    return CollectorConfig


def _check_collector(doc: Document, base: Path) -> list[str]:
    from agent_analytics.collector.config import collector_from

    collector_from(doc, {})
    return []


def _workstation_model():
    from agent_analytics.workstation.config import Workstation

    return Workstation


def _check_workstation(doc: Document, base: Path) -> list[str]:
    validate(_workstation_model(), doc)
    return []


def _policy_model():
    from agent_analytics.collector.label_policy import PolicyOverride

    return PolicyOverride


def _check_policy(doc: Document, base: Path) -> list[str]:
    validate(_policy_model(), doc)
    return []


KINDS = {
    kind.name: kind
    for kind in (
        Kind("exporter", "the exporter's file (`exporter --config`)", _exporter_model, _check_exporter),
        Kind("stack", "the file of `up --config`", _stack_model, _check_stack),
        Kind(
            "collector", "the collector's file (`collector --config`)", _collector_model, _check_collector, "collector"
        ),
        Kind("workstation", "the workstation config `init` writes", _workstation_model, _check_workstation),
        Kind("label-policy", "a label policy (`label_policy_file`)", _policy_model, _check_policy),
        Kind(
            "alerting",
            "the alerting config (receivers and teams; section alerting of `up --config`)",
            _alerting_model,
            _check_alerting,
        ),  # fmt: skip
    )
}


def kind_named(name: str) -> Kind:
    if name not in KINDS:
        raise UserError(f"unknown config kind {name!r}: use one of {', '.join(KINDS)}")
    return KINDS[name]


def _top_keys(kind: Kind) -> set[str]:
    model = kind.model()
    keys = {info.alias or name for name, info in model.model_fields.items()}
    return keys | ({kind.wrapper} if kind.wrapper else set())


def infer_kind(doc: Document) -> Kind:
    """The kind whose keys fit the file's top-level keys best; an error when that is not clear."""
    keys = set(doc.data) if isinstance(doc.data, dict) else set()
    if not keys:
        raise UserError(
            f"{doc.source}: cannot tell which config this is from its keys: pass --kind ({', '.join(KINDS)})"
        )
    scores = {name: len(keys & _top_keys(kind)) for name, kind in KINDS.items()}
    best = max(scores.values())
    winners = [name for name, score in scores.items() if score == best]
    if best == 0 or len(winners) > 1:
        fits = " or ".join(winners) if best else "no kind"
        raise UserError(
            f"{doc.source}: its keys ({', '.join(sorted(map(str, keys)))}) fit {fits}: pass --kind ({', '.join(KINDS)})"
        )
    return KINDS[winners[0]]


def check_file(path: Path, kind_name: str | None) -> tuple[Kind, list[str]]:
    """Validate `path` as `kind_name` (inferred when None); returns the kind and the warnings."""
    path = Path(path).expanduser()
    doc = read_yaml(path, "give the path of a config file")
    kind = kind_named(kind_name) if kind_name else infer_kind(doc)
    return kind, kind.check(doc, path.resolve().parent)
