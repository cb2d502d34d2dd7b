"""The package as it installs: each folder that pyproject.toml maps onto a subpackage of
agent_analytics copied to where the wheel puts it, for tools that read a package from disk."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def package_dirs() -> dict[str, str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]


def copy_package(dest: Path) -> Path:
    """The .py files of every mapped folder under dest/agent_analytics/...; returns dest."""
    mapped = package_dirs()
    subpackages = {name.split(".")[1] for name in mapped if name.count(".") == 1}
    for name, folder in mapped.items():
        target = dest.joinpath(*name.split("."))
        for source in (ROOT / folder).rglob("*.py"):
            relative = source.relative_to(ROOT / folder)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if name == "agent_analytics" and relative.parts[0] in subpackages:
                continue  # a folder of its own maps there
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / relative)
    return dest
