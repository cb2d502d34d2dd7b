"""Which agent made a commit, and on what evidence, from the marker table (agent_markers.yaml)."""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from agent_analytics.vocabulary.series import AGENTS

MARKERS_FILE = Path(__file__).with_name("agent_markers.yaml")


@dataclass(frozen=True)
class Attribution:
    agent: str
    evidence: str


NO_AGENT = Attribution("none", "none")


@dataclass(frozen=True)
class _Rule:
    agent: str
    regex: re.Pattern
    field: str  # environment variable name, or "name"/"email" for authors, "" for trailers


class MarkerTable:
    def __init__(self, data: dict):
        def rx(pattern: str) -> re.Pattern:
            return re.compile(pattern, re.IGNORECASE)

        def agent_of(rule: dict) -> str:
            if rule["agent"] not in AGENTS:
                raise ValueError(f"marker table: unknown agent {rule['agent']!r} (one of {', '.join(AGENTS)})")
            return rule["agent"]

        self.environment = [_Rule(agent_of(r), rx(r["pattern"]), r["variable"]) for r in data.get("environment", [])]
        self.authors = [
            _Rule(agent_of(r), rx(r["name"] if "name" in r else r["email"]), "name" if "name" in r else "email")
            for r in data.get("authors", [])
        ]
        self.trailers = [_Rule(agent_of(r), rx(r["pattern"]), "") for r in data.get("trailers", [])]
        policy = data.get("policy_trailers") or {}
        self.policy = rx(policy["pattern"]) if policy else None
        self.policy_names = [_Rule(agent_of(r), rx(r["pattern"]), "") for r in policy.get("names", [])]

    def attribute(
        self, author_name: str, author_email: str, trailers: list[str], env: dict[str, str] | None = None
    ) -> Attribution:
        for rule in self.environment:
            value = (env or {}).get(rule.field)
            if value is not None and rule.regex.search(value):
                return Attribution(rule.agent, "session")
        for rule in self.authors:
            if rule.regex.search(author_name if rule.field == "name" else author_email):
                return Attribution(rule.agent, "trailer")
        lines = [t.strip() for t in trailers]
        for rule in self.trailers:
            if any(rule.regex.search(line) for line in lines):
                return Attribution(rule.agent, "trailer")
        if self.policy is not None:
            for line in lines:
                m = self.policy.search(line)
                if m:
                    value = m.group("value")
                    agent = next((r.agent for r in self.policy_names if r.regex.search(value)), "other-ai")
                    return Attribution(agent, "trailer")
        return NO_AGENT


@lru_cache(maxsize=4)
def load_markers(path: Path = MARKERS_FILE) -> MarkerTable:
    return MarkerTable(yaml.safe_load(Path(path).read_text()))
