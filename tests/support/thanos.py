"""Thanos, built from its published module, and the large-organisation layout started for a test.

`make thanos` runs this file: it builds github.com/thanos-io/thanos/cmd/thanos with the module in
thanos/go.mod (which carries Thanos' own replace directives) into the user cache
(tests/support/go_build.py).

The layout (docs/scaling-thanos.md): two Prometheus replicas scraping the same targets, told apart
by their `replica` external label, each with a sidecar that ships its blocks to an object store (a
folder here); Receive, the remote-write target of history, with the out-of-order window of
`agent-analytics up`; a store gateway serving the bucket; a ruler evaluating the project's rule
files through Query; Query over all of them, deduplicating on `replica`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from prometheus.rules_src.thanos import STRATEGY
from tests.support import loopback
from tests.support.go_build import build_folder, build_once, main, require_built
from tests.support.net import free_port, wait_until
from tests.support.processes import terminate
from tests.support.prometheus import Prometheus, QueryApi

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "thanos" / "go.mod"
SUMS = REPO / "thanos" / "go.sum"
PACKAGE = "github.com/thanos-io/thanos/cmd/thanos"
# Thanos' own release build tags (.promu.yml of the module)
TAGS = "netgo,slicelabels"

REPLICA_LABEL = "replica"  # the one external label every component announces; Query drops it
# Prometheus blocks stay 2 hours long so the sidecar ships each one (it refuses compacted TSDBs)
SIDECAR_PROMETHEUS_FLAGS = ["--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h"]
OUT_OF_ORDER_WINDOW = "400d"
# History blocks (`demo`, `backfill`) go into the bucket under a label of their own, not the replica
# label: Query's deduplication merges series that differ only in the replica label by taking one
# source at a time, and after the last sample of a sparse series (hourly, daily) it skips the other
# source's samples for twice that spacing: live data in the hours after history would be lost.
HISTORY_LABELS = {"origin": "history"}  # as `agent-analytics up` and compose.yaml give Prometheus


def version() -> str:
    """The Thanos release thanos/go.mod requires, e.g. v0.42.4."""
    return re.search(r"^require github\.com/thanos-io/thanos (v\S+)$", MODULE.read_text(), re.M).group(1)


def binary_path() -> Path:
    return build_folder("thanos", MODULE, SUMS) / "thanos"


def build() -> Path:
    """Build Thanos unless it is there already; returns the binary's path."""

    def prepare(folder: Path) -> list[tuple[list[str], Path]]:
        src = folder / "src"
        src.mkdir(exist_ok=True)
        for f in (MODULE, SUMS):
            if f.exists():
                shutil.copy2(f, src / f.name)
        stamp = f"-X github.com/prometheus/common/version.Version={version().removeprefix('v')}"
        command = ["go", "build", "-mod=mod", "-trimpath", f"-tags={TAGS}", f"-ldflags={stamp}", "-o", "thanos"]
        return [([*command, PACKAGE], src)]

    target = binary_path()
    return build_once(target, f"Thanos {version()}", prepare, dict(os.environ), target.parent / "src" / "thanos")


def require() -> Path:
    return require_built(binary_path(), "Thanos", "thanos")


def filesystem_bucket(folder: Path, config: Path) -> Path:
    """An object store configuration for a local folder (tests; S3 in production)."""
    folder.mkdir(parents=True, exist_ok=True)
    config.write_text(yaml.safe_dump({"type": "FILESYSTEM", "config": {"directory": str(folder)}}))
    return config


def upload_blocks(bucket_config: Path, tsdb: Path, labels: dict[str, str]) -> None:
    """Ship the blocks of a TSDB folder (history written by `demo` or `backfill`) into the bucket,
    with the external labels a store gateway announces them under."""
    command = [str(require()), "tools", "bucket", "upload-blocks", f"--objstore.config-file={bucket_config}"]
    command += [f"--path={tsdb}", "--shipper.upload-compacted", *(f'--label={k}="{v}"' for k, v in labels.items())]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"thanos tools bucket upload-blocks failed:\n{done.stderr[-3000:]}")


def ruler_rule_files(files: list[Path], folder: Path) -> list[Path]:
    """Copies of rule files as the ruler loads them (prometheus/rules_src/thanos.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in files:
        data = yaml.safe_load(path.read_text())
        for group in data["groups"]:
            group[STRATEGY[0]] = STRATEGY[1]
        out.append(folder / path.name)
        out[-1].write_text(yaml.safe_dump(data, sort_keys=False))
    return out


class Component:
    """One Thanos component (`thanos <kind> ...`) on free loopback ports."""

    def __init__(self, kind: str, args: list[str], workdir: Path):
        self.kind = kind
        self.args = args
        self.http_port, self.grpc_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.grpc = f"127.0.0.1:{self.grpc_port}"
        self.log_path = workdir / f"{kind}-{self.http_port}.log"
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        ports = [f"--http-address=127.0.0.1:{self.http_port}", f"--grpc-address=127.0.0.1:{self.grpc_port}"]
        return [str(require()), self.kind, *ports, "--log.level=warn", *self.args]

    def launch(self) -> Component:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 90) -> Component:
        try:
            wait_until(self._ready, timeout=timeout, what=f"thanos {self.kind} ready")
        except TimeoutError:
            raise RuntimeError(f"thanos {self.kind} did not start:\n{self.log()}") from None
        return self

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"thanos {self.kind} exited ({self.proc.returncode}):\n{self.log()}")
        return loopback.get(f"{self.url}/-/ready", timeout=2).status_code == 200

    def log(self) -> str:
        return self.log_path.read_text()[-4000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        terminate(self.proc)


class Layout:
    """The large-organisation layout on one machine: see the module's docstring.

    `targets` are scraped by both replicas (job -> host:port list); `rule_files` go to the ruler
    (with Thanos' partial response strategy, as prometheus/rules/thanos/ has them);
    `history` are TSDB folders (written by `demo`/`backfill`) uploaded to the bucket before the
    store gateway starts. `query_url` is Grafana's data source and `report --prometheus-url` (`api`
    queries it); `write_url` is where the exporter writes history (its `remote_write_url`).
    """

    def __init__(
        self,
        targets: dict[str, list[str]],
        rule_files: list[Path],
        history: list[Path] = (),
        scrape_interval: str = "1s",
        eval_interval: str = "1s",
    ):
        require()
        self.workdir = Path(tempfile.mkdtemp(prefix="aa-thanos-"))
        self.bucket = filesystem_bucket(self.workdir / "bucket", self.workdir / "bucket.yaml")
        self.history = list(history)
        store_flag = f"--objstore.config-file={self.bucket}"
        self.replicas = {
            name: Prometheus(
                targets=targets,
                scrape_interval=scrape_interval,
                external_labels={REPLICA_LABEL: name},
                extra_args=SIDECAR_PROMETHEUS_FLAGS,
            )
            for name in ("a", "b")
        }
        self.sidecars = {
            name: Component(
                "sidecar", [f"--tsdb.path={prom.data_dir}", f"--prometheus.url={prom.url}", store_flag], self.workdir
            )
            for name, prom in self.replicas.items()
        }
        self.write_port = free_port()
        self.receive = Component(
            "receive",
            [
                f"--tsdb.path={self.workdir / 'receive'}",
                f"--remote-write.address=127.0.0.1:{self.write_port}",
                # its replication listener too, or two layouts on one machine collide on 19391
                f"--receive.capnproto-address=127.0.0.1:{free_port()}",
                f'--label={REPLICA_LABEL}="receive"',
                f"--tsdb.out-of-order.time-window={OUT_OF_ORDER_WINDOW}",
                f"--tsdb.retention={OUT_OF_ORDER_WINDOW}",
                store_flag,
            ],
            self.workdir,
        )
        self.store = Component(
            "store", [f"--data-dir={self.workdir / 'store'}", store_flag, "--sync-block-duration=5s"], self.workdir
        )
        self.query = Component("query", [f"--query.replica-label={REPLICA_LABEL}"], self.workdir)
        self.ruler = Component(
            "rule",
            [
                f"--data-dir={self.workdir / 'rule'}",
                *(f"--rule-file={p}" for p in ruler_rule_files(rule_files, self.workdir / "rules")),
                f"--eval-interval={eval_interval}",
                f"--query={self.query.url}",
                f'--label={REPLICA_LABEL}="ruler"',
                store_flag,
            ],
            self.workdir,
        )
        # Query answers over every Store API, the ruler's too (thanos/query-endpoints.yml in compose)
        endpoints = self.workdir / "query-endpoints.yml"
        stores = [*self.sidecars.values(), self.receive, self.store, self.ruler]
        endpoints.write_text(yaml.safe_dump({"endpoints": [{"address": c.grpc} for c in stores]}))
        self.query.args.append(f"--endpoint.sd-config-file={endpoints}")
        self.query_url = self.query.url
        self.api = QueryApi(self.query_url)
        self.write_url = f"http://127.0.0.1:{self.write_port}/api/v1/receive"

    def components(self) -> list[Component]:
        return [*self.sidecars.values(), self.receive, self.store, self.query, self.ruler]

    def start(self) -> Layout:
        try:
            for tsdb in self.history:
                upload_blocks(self.bucket, tsdb, HISTORY_LABELS)
            for prom in self.replicas.values():
                prom.start()
            for component in self.components():
                component.launch()
            for component in self.components():
                component.wait_ready()
            wait_until(self._all_endpoints_up, timeout=60, what="Query sees every store")
        except BaseException:
            self.stop()
            raise
        return self

    def _all_endpoints_up(self) -> bool:
        listed = loopback.get(f"{self.query_url}/api/v1/stores", timeout=5).json()["data"]
        healthy = {s["name"] for kind in listed.values() for s in kind if not s.get("lastError")}
        expected = {c.grpc for c in self.components() if c is not self.query}
        return expected <= healthy

    def stop(self) -> None:
        for component in reversed(self.components()):
            component.stop()
        for prom in self.replicas.values():
            prom.stop()

    def __enter__(self) -> Layout:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


if __name__ == "__main__":
    main(build)
