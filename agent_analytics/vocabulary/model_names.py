"""One model name per model, for every source: the rewrites of model_names.yaml, which the
collector applies to the `model` label and transcripts, demo data and the vendors' reports to the
model names they carry."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

TABLE = Path(__file__).with_name("model_names.yaml")


@functools.cache
def rewrites() -> list[tuple[str, str]]:
    """(pattern, replacement) pairs, in the order they apply."""
    return [(rule["pattern"], rule["replace"]) for rule in yaml.safe_load(TABLE.read_text())]


@functools.lru_cache(maxsize=4096)  # the same few model names arrive on every point
def normalise_model(name: str) -> str:
    for pattern, replacement in rewrites():
        name = re.sub(pattern, replacement, name)
    return name
