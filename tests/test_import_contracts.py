"""The layers of the product import one way (.importlinter): checked with import-linter on the
package as it installs, and shown to fail on each back-edge the contract file names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.package_tree import ROOT, copy_package

CONTRACTS = ROOT / ".importlinter"


def lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    lint_imports = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint_imports), str(CONTRACTS)], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return copy_package(tmp_path_factory.mktemp("package"))


def test_the_layers_hold(tree):
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


# (file that gets the import, the import, the contract that must break)
BACK_EDGES = {
    "vocabulary reads the collector's label policy": (
        "vocabulary/model_names.py",
        "import agent_analytics.collector.label_policy",
        "Layers",
    ),
    "the exporter's commit store reads history": (
        "exporter/git/store.py",
        "import agent_analytics.history.backfill_series",
        "Layers",
    ),
    "the exporter reads the config kinds of the command line": (
        "exporter/config.py",
        "import agent_analytics.cli.config_kinds",
        "Layers",
    ),
    "report reads a name from the exporter": (
        "report/measures.py",
        "import agent_analytics.exporter.git.time_to_commit",
        "report and the dashboard and rule generators",
    ),
    "the dashboards read a name from the exporter": (
        "grafana/dashboards_src/usage_patterns.py",
        "import agent_analytics.exporter.git.time_to_commit",
        "report and the dashboard and rule generators",
    ),
    "two demo modules import each other": (
        "history/demo/organisation.py",
        "import agent_analytics.history.demo.vendors",
        "No cycles",
    ),
}


@pytest.mark.parametrize("edge", list(BACK_EDGES))
def test_each_back_edge_breaks_a_contract(tmp_path, edge):
    where, line, contract = BACK_EDGES[edge]
    tree = copy_package(tmp_path)
    module = tree / "agent_analytics" / where
    module.write_text(module.read_text() + f"\n{line}  # noqa\n")
    result = lint(tree)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[-1]
    assert contract in broken, result.stdout
