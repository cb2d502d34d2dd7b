"""Where the one-machine stack (`up`, `demo`, `backfill`) keeps its data."""

from pathlib import Path

import yaml

from agent_analytics.config.paths import data_home
from agent_analytics.vocabulary.facts import JOB_PROMETHEUS

DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090"


def stack_dir(data_dir: Path | None) -> Path:
    """The stack's folder: `--data-dir`, else the user data folder."""
    return (data_dir or data_home()).expanduser()


def prometheus_tsdb(data_dir: Path) -> Path:
    """The Prometheus TSDB of the stack under `data_dir` (what `up` passes as --storage.tsdb.path)."""
    return data_dir / "prometheus"


def resolve_tsdb(data_dir: Path | None, prometheus_data: Path | None) -> Path:
    """`--prometheus-data` names the TSDB itself; `--data-dir` the stack's folder (default: user data dir)."""
    if prometheus_data is not None:
        return prometheus_data.expanduser()
    return prometheus_tsdb(stack_dir(data_dir))


def stack_prometheus_url(data_dir: Path) -> str | None:
    """The Prometheus that `up` runs (or last ran) on `data_dir`, from the configuration it wrote."""
    try:
        config = yaml.safe_load((data_dir / "run" / "prometheus.yml").read_text())
        for job in config["scrape_configs"]:
            if job.get("job_name") == JOB_PROMETHEUS:
                return f"http://{job['static_configs'][0]['targets'][0]}"
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, AttributeError):
        return None
    return None


def prometheus_url_for(data_dir: Path | None) -> str:
    """The Prometheus of the `up` on `data_dir` (default: the user data folder), else the default port."""
    return stack_prometheus_url(stack_dir(data_dir)) or DEFAULT_PROMETHEUS_URL
