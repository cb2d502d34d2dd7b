"""The configuration the package ships (prometheus/, grafana/, loki/ of the repository), as
installed: `agent_analytics.prometheus`, `.grafana`, `.loki`, found through importlib.resources
in a checkout, an editable install and a wheel alike.
"""

from importlib import resources
from pathlib import Path


def asset_dir(name: str) -> Path:
    """The folder of the shipped package `agent_analytics.<name>` (e.g. "prometheus", "grafana")."""
    folder = resources.files(f"agent_analytics.{name}")
    # Prometheus, Loki and Grafana read these folders themselves: they must be real files.
    if not isinstance(folder, Path):
        raise FileNotFoundError(
            f"agent_analytics.{name} is not installed as files: reinstall agent-analytics from a wheel"
        )
    return folder
