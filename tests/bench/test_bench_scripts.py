"""The benchmark scripts stay runnable: the docs give their commands, and a module that moved
under them fails here rather than on the day someone reruns a figure."""

import importlib
from pathlib import Path

import pytest

SCRIPTS = sorted(p.stem for p in Path(__file__).parent.glob("*.py") if p.stem not in ("__init__", "test_bench_scripts"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_script_imports(name):
    module = importlib.import_module(f"tests.bench.{name}")
    assert callable(module.main)
