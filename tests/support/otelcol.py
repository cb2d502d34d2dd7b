"""Where the built OpenTelemetry Collector lives, and how it is built when missing.

The binary is built by the OpenTelemetry Collector Builder from collector/builder-config.yaml into
the user cache (tests/support/go_build.py). `make otelcol` runs this file.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from tests.support.go_build import build_folder, build_once, main, require_built
from tests.support.net import free_port, wait_http_ok
from tests.support.processes import terminate
from tests.support.scrape import scrape, total

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "collector" / "builder-config.yaml"


def build_dir(manifest: Path = MANIFEST) -> Path:
    return build_folder("otelcol", manifest)


def binary_path(manifest: Path = MANIFEST) -> Path:
    return build_dir(manifest) / "otelcol"


def builder_version(manifest: Path = MANIFEST) -> str:
    # the builder is released together with the core components the manifest pins
    return "v" + yaml.safe_load(manifest.read_text())["dist"]["version"]


# The checksum database behind the module proxy lacks entries for some OpenTelemetry modules of
# this release; their hashes are still pinned in the build's go.sum on first download.
UNLISTED_IN_SUMDB = "github.com/open-telemetry/opentelemetry-collector-contrib,go.opentelemetry.io/collector"


def go_env() -> dict[str, str]:
    return {**os.environ, "GONOSUMDB": UNLISTED_IN_SUMDB}


def build(manifest: Path = MANIFEST) -> Path:
    """Build the distribution unless it is there already; returns the binary's path."""
    spec = yaml.safe_load(manifest.read_text())

    def prepare(folder: Path) -> list[tuple[list[str], Path]]:
        spec["dist"]["output_path"] = str(folder / "src")
        config = folder / "builder-config.yaml"
        config.write_text(yaml.safe_dump(spec, sort_keys=False))
        builder = f"go.opentelemetry.io/collector/cmd/builder@{builder_version(manifest)}"
        # ocb writes the sources only: its `go mod tidy` also fetches the test-only modules of
        # every dependency, some of which the module proxy here refuses; `go build -mod=mod`
        # fetches just what the binary links.
        return [
            (["go", "run", builder, f"--config={config}", "--skip-compilation", "--skip-get-modules"], folder),
            (["go", "build", "-mod=mod", "-trimpath", "-o", spec["dist"]["name"], "."], folder / "src"),
        ]

    target = binary_path(manifest)
    built = target.parent / "src" / spec["dist"]["name"]
    return build_once(target, "the OpenTelemetry Collector", prepare, go_env(), built)


def require() -> Path:
    return require_built(binary_path(), "the OpenTelemetry Collector", "otelcol")


CONFIG = REPO / "collector" / "otelcol.yaml"
AUTH_CONFIG = REPO / "collector" / "otelcol.auth.yaml"
LOADBALANCER_CONFIG = REPO / "collector" / "otelcol.loadbalancer.yaml"


class Otelcol:
    """The built collector with the project's config(s), every port moved to a free loopback one.

    `endpoints` has the same keys as the embedded collector's: otlp_http (base URL), otlp_grpc
    (host:port), metrics (the prometheus exporter's page); `telemetry` is its self-metrics page.
    `overrides` is merged over the configs last (e.g. a different pipeline).
    """

    def __init__(
        self,
        configs: list[Path] | None = None,
        env: dict[str, str] | None = None,
        loki_url: str | None = None,
        overrides: dict | None = None,
        prometheus: bool = True,
        core: int | None = None,
    ):
        self.binary = require()
        self.workdir = Path(tempfile.mkdtemp(prefix="aa-otelcol-"))
        self.grpc_port, self.http_port, self.metrics_port, self.health_port, self.telemetry_port = (
            free_port() for _ in range(5)
        )
        ports = {
            "extensions": {"health_check": {"endpoint": f"127.0.0.1:{self.health_port}"}},
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": f"127.0.0.1:{self.grpc_port}"},
                        "http": {"endpoint": f"127.0.0.1:{self.http_port}"},
                    }
                }
            },
            "exporters": {"prometheus": {"endpoint": f"127.0.0.1:{self.metrics_port}"}} if prometheus else {},
            "service": {
                "telemetry": {
                    "metrics": {
                        "readers": [
                            {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": self.telemetry_port}}}}
                        ]
                    },
                    "logs": {"level": "warn"},
                }
            },
        }
        files = [self.workdir / "ports.yaml"]
        files[0].write_text(yaml.safe_dump(ports))
        if overrides:
            files.append(self.workdir / "overrides.yaml")
            files[1].write_text(yaml.safe_dump(overrides))
        self.configs = [*(configs or [CONFIG]), *files]
        self.env = {**os.environ, **(env or {})}
        # the Loki endpoint when none is given: a closed port, so events wait in the queue
        self.env["LOKI_OTLP_ENDPOINT"] = f"{loki_url or f'http://127.0.0.1:{free_port()}'}/otlp"
        self.endpoints = {
            "otlp_http": f"http://127.0.0.1:{self.http_port}",
            "otlp_grpc": f"127.0.0.1:{self.grpc_port}",
            "metrics": f"http://127.0.0.1:{self.metrics_port}/metrics",
        }
        self.telemetry = f"http://127.0.0.1:{self.telemetry_port}/metrics"
        self.prometheus = prometheus
        self.core = core  # pinned to this CPU (benchmarks); Go then runs with GOMAXPROCS=1
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [str(self.binary), *(f"--config={c}" for c in self.configs)]

    def start(self) -> "Otelcol":
        self.log_path = self.workdir / "otelcol.log"
        with open(self.log_path, "wb") as log:
            pin = None if self.core is None else (lambda: os.sched_setaffinity(0, {self.core}))
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env, preexec_fn=pin
            )
        try:
            wait_http_ok(f"http://127.0.0.1:{self.health_port}/", timeout=60)
            if self.prometheus:
                wait_http_ok(self.endpoints["metrics"], timeout=30)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"otelcol did not start:\n{self.log()}") from None
        return self

    def log(self) -> str:
        return self.log_path.read_text()[-4000:]

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None

    def __enter__(self) -> "Otelcol":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def self_metric(self, name: str) -> float:
        """Sum over every series of one of the collector's own metrics."""
        return total(scrape(self.telemetry), name)


if __name__ == "__main__":
    main(build)
