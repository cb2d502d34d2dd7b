"""A real Prometheus (the OS binary) started for a test, scraping given targets."""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from tests.support import loopback

from .net import free_port, wait_http_ok, wait_until
from .processes import terminate


class QueryApi:
    """The Prometheus HTTP query API at `url`: Prometheus itself, or Thanos Query (same API)."""

    def __init__(self, url: str):
        self.url = url

    def _api(self, path: str, params: dict[str, str]) -> list[dict]:
        body = loopback.get(f"{self.url}/api/v1/{path}", params=params, timeout=30).json()
        if body.get("status") != "success":
            raise AssertionError(f"{path} failed: {params['query']}: {body.get('error')}")
        return body["data"]["result"]

    def query(self, promql: str, at: float | None = None) -> list[dict]:
        params = {"query": promql}
        if at is not None:
            params["time"] = str(at)
        return self._api("query", params)

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[dict]:
        return self._api("query_range", {"query": promql, "start": str(start), "end": str(end), "step": str(step)})

    def scalar(self, promql: str) -> float | None:
        """The single value of an instant query, or None when it returns nothing."""
        result = self.query(promql)
        if not result:
            return None
        assert len(result) == 1, f"expected one series for {promql}, got {result}"
        return float(result[0]["value"][1])

    def wait_for(self, promql: str, expected: float, timeout: float = 30, tol: float = 1e-9) -> float:
        """Wait until `promql` (one series) equals `expected`; returns the last value seen."""
        seen: list[float | None] = [None]

        def check() -> bool:
            seen[0] = self.scalar(promql)
            return seen[0] is not None and abs(seen[0] - expected) <= tol * max(1.0, abs(expected))

        try:
            wait_until(check, timeout=timeout, what=promql)
        except TimeoutError:
            raise AssertionError(f"{promql} = {seen[0]}, expected {expected}") from None
        return seen[0]  # type: ignore[return-value]


class Prometheus(QueryApi):
    """Runs `prometheus` on a free port with a generated config.

    `targets` maps a job name to a list of host:port targets scraped every `scrape_interval`.
    `rule_files` are loaded as they are (recording and alerting rules). `remote_write` turns on
    the receiver with the out-of-order window `up` uses, as history writes need, and keeps what is
    written in memory (no compaction while a test queries). `alerting` is the
    config's alerting section (where alerts are sent).
    `external_labels` tell replicas apart (tests/support/thanos.py).
    """

    def __init__(
        self,
        targets: dict[str, list[str]] | None = None,
        rule_files: list[Path] | None = None,
        scrape_interval: str = "1s",
        evaluation_interval: str = "1s",
        data_dir: Path | None = None,
        extra_args: list[str] | None = None,
        remote_write: bool = False,
        alerting: dict | None = None,
        external_labels: dict[str, str] | None = None,
    ):
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError("prometheus binary not found: sudo apt-get install prometheus")
        self.binary = binary
        self.workdir = Path(tempfile.mkdtemp(prefix="aa-prom-"))
        self.data_dir = data_dir or self.workdir / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {
                "scrape_interval": scrape_interval,
                "evaluation_interval": evaluation_interval,
                **({"external_labels": external_labels} if external_labels else {}),
            },
            "rule_files": [str(p) for p in (rule_files or [])],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": tgts}]} for job, tgts in (targets or {}).items()
            ],
        }
        if alerting is not None:
            config["alerting"] = alerting
        if remote_write:
            config["storage"] = {"tsdb": {"out_of_order_time_window": "400d"}}
            extra_args = [
                *(extra_args or []),
                "--web.enable-remote-write-receiver",
                "--storage.tsdb.retention.time=400d",
                # history spans days, so Prometheus would cut it into blocks right after the write,
                # and 2.42 has been seen to answer a query made during that compaction without the
                # series being moved; a test's few series stay in memory instead
                "--storage.tsdb.min-block-duration=400d",
                "--storage.tsdb.max-block-duration=400d",
            ]
        self.config_path = self.workdir / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.extra_args = extra_args or []
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Prometheus":
        self.log = open(self.workdir / "prometheus.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.data_dir}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.enable-lifecycle",
                "--web.enable-admin-api",
                *self.extra_args,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http_ok(f"{self.url}/-/ready", timeout=60)
        except TimeoutError:
            self.stop()
            log = (self.workdir / "prometheus.log").read_text()[-3000:]
            raise RuntimeError(f"prometheus did not start:\n{log}") from None
        return self

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None

    def __enter__(self) -> "Prometheus":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def targets_up(self) -> bool:
        r = loopback.get(f"{self.url}/api/v1/targets", timeout=10).json()
        active = r["data"]["activeTargets"]
        return bool(active) and all(t["health"] == "up" for t in active)

    def wait_targets_up(self, timeout: float = 30) -> None:
        wait_until(self.targets_up, timeout=timeout, what="all prometheus targets up")

    def scrape_settle(self, seconds: float = 2.5) -> None:
        """Give Prometheus time for at least two scrapes at the 1s interval."""
        time.sleep(seconds)
