"""Label values in words, as `report` and the dashboards write them (words.yaml)."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

TABLE = Path(__file__).with_name("words.yaml")


@functools.cache
def _table() -> dict:
    return yaml.safe_load(TABLE.read_text())


def _plain(value: str) -> str:
    return value.replace("_", " ")


def agent(name: str) -> str:
    return _table()["agents"].get(name, name)


def token_type(agent_name: str, kind: str) -> str | None:
    """The words for a token type of the agent; None for a type that only adds up others."""
    types = _table()["tokens"].get(agent_name, {})
    return types[kind] if kind in types else _plain(kind)


def repeated_token_types(agent_name: str) -> tuple[str, ...]:
    """The agent's token types that only add up others (left out of every table)."""
    return tuple(kind for kind, words in _table()["tokens"].get(agent_name, {}).items() if words is None)


def active_time(kind: str) -> str:
    return _table()["active_time"].get(kind, _plain(kind))


def seat_state(state: str) -> str:
    return _table()["seat_states"].get(state, _plain(state))
