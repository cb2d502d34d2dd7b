"""Where the configuration assets (prometheus/, loki/, grafana/, collector/) live.

They are folders at the root of the repository; commands that generate configuration for a
local stack (`up`, `demo`) read them from here.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def asset_dir(name: str) -> Path:
    """The folder `name` (e.g. "prometheus", "grafana") of the project."""
    path = ROOT / name
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is missing: run agent-analytics from a checkout of the project")
    return path
