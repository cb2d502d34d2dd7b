"""The whole product on one machine: embedded collector and exporter, Prometheus, and Loki,
Alertmanager and Grafana when their binaries are installed.

Prometheus, Loki, Alertmanager and Grafana run as child processes (CHILDREN below) with
configuration generated under the data folder (run/), pointing at each other on 127.0.0.1; their
logs go to logs/. They are kept running by a Supervisor (supervision.py): one that exits is
restarted, alone. Children are started in their own session (a Ctrl-C reaches only `up`, which
stops them in order) and get SIGTERM if `up` itself dies. The collector and exporter run inside
`up`.
"""

import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from agent_analytics.alerting import alertmanager
from agent_analytics.alerting.prometheus_alerting import alerting_section
from agent_analytics.collector.config import load_config as load_collector_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.config.assets import asset_dir
from agent_analytics.config.errors import ConfigError, RuntimeFailure
from agent_analytics.exporter.service import ExporterService
from agent_analytics.vocabulary.facts import ALERTMANAGER_PACKAGE, JOB_COLLECTOR, JOB_EXPORTER, JOB_PROMETHEUS
from agent_analytics.wire import past_counters

from . import lock
from .config import StackConfig
from .paths import prometheus_tsdb
from .ports import PORT_FLAGS, PORT_OWNERS
from .supervision import Supervisor

HOST = "127.0.0.1"
INSTALL_PROMETHEUS = "sudo apt-get install prometheus"
INSTALL_ALERTMANAGER = f"sudo apt-get install {ALERTMANAGER_PACKAGE}"
# upstream's release archive names the server alertmanager, Debian's package prometheus-alertmanager
ALERTMANAGER_BINARIES = ("alertmanager", ALERTMANAGER_PACKAGE)
READY_TIMEOUT = 120.0
GRAFANA_BINARIES = ("grafana", "grafana-server")  # `grafana server` (Grafana 10+) or the older server binary
GRAFANA_HOMES = ("/usr/share/grafana", "/usr/local/share/grafana", "/opt/grafana")


def find_grafana_loki() -> tuple[str | None, str]:
    """The `loki` on PATH if it is Grafana Loki, else None and why it is not used.

    Debian's `loki` package is a genetics program of the same name: Grafana Loki answers
    `loki -version` with "loki, version X.Y.Z (branch: ...)".
    """
    binary = shutil.which("loki")
    if binary is None:
        return None, "no `loki` on PATH"
    try:
        out = subprocess.run([binary, "-version"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None, f"{binary} does not run"
    if (out.stdout + out.stderr).lstrip().startswith("loki, version "):
        return binary, ""
    return None, f"{binary} is not Grafana Loki"


class StackError(RuntimeFailure):
    """Something stops the stack from starting; the message is one line saying what to do."""


def port_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        # As the servers bind: connections of a stopped run left in TIME_WAIT do not make a port busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def find_prometheus() -> tuple[str | None, str]:
    binary = shutil.which("prometheus")
    return binary, "" if binary else "no `prometheus` on PATH"


def find_alertmanager() -> tuple[str | None, str]:
    binary = next((b for b in map(shutil.which, ALERTMANAGER_BINARIES) if b), None)
    return binary, "" if binary else "no `alertmanager` or `prometheus-alertmanager` on PATH"


def find_grafana() -> tuple[str | None, str]:
    binary = next((b for b in map(shutil.which, GRAFANA_BINARIES) if b), None)
    return binary, "" if binary else "no `grafana` or `grafana-server` on PATH"


class LocalStack:
    def __init__(self, config: StackConfig, data_dir: Path, report: Callable[[str], None] | None = None):
        self.config = config
        self.data_dir = data_dir
        self.run_dir = data_dir / "run"
        self.log_dir = data_dir / "logs"
        self.supervisor = Supervisor(report=report)
        self.collector: CollectorService | None = None
        self.exporter: ExporterService | None = None
        # child name -> (its program, or None and why it is not there)
        self.found = {spec.name: spec.find() for spec in CHILDREN}
        self._lock: int | None = None  # file descriptor holding the data dir's lock while running

    def binary(self, child: str) -> str | None:
        return self.found[child][0]

    @property
    def loki_absent(self) -> str:
        return self.found["loki"][1]

    @property
    def alertmanager_absent(self) -> str:
        """Why no Alertmanager runs and how to get one, or "" when one does."""
        why = self.found["alertmanager"][1]
        return f"not started ({why}): install it with `{INSTALL_ALERTMANAGER}`" if why else ""

    def present(self) -> list["ChildSpec"]:
        """The children this machine has, in the order they start."""
        return [spec for spec in CHILDREN if self.binary(spec.name)]

    @property
    def ports(self) -> dict[str, int]:
        return self.config.ports

    def url(self, port_name: str) -> str:
        return f"http://{HOST}:{self.ports[port_name]}"

    # --- checks before anything starts ---------------------------------------------------------------

    def check_installed(self) -> None:
        """StackError naming what to install when a child `up` cannot do without is missing."""
        for spec in CHILDREN:
            if spec.install and not self.binary(spec.name):
                raise StackError(f"{spec.name} not found on PATH: install it with `{spec.install}`")

    def preflight(self) -> None:
        self.check_installed()
        wanted = ["otlp_grpc", "otlp_http", "collector_metrics", "exporter"] + [s.port for s in self.present()]
        collector_host = str(self.config.collector.get("host") or HOST)
        seen: dict[int, str] = {}
        for name in wanted:
            port = self.ports[name]
            if port in seen:
                raise StackError(
                    f"port {port} is set for both {PORT_OWNERS[seen[port]]} and {PORT_OWNERS[name]}:"
                    f" change {PORT_FLAGS[name]} (or ports.{name} in the --config file)"
                )
            seen[port] = name
        busy = [
            name
            for name in wanted
            if not port_free(
                self.ports[name], collector_host if name in ("otlp_grpc", "otlp_http", "collector_metrics") else HOST
            )
        ]
        if len(busy) == 1:
            name = busy[0]
            raise StackError(
                f"port {self.ports[name]} ({PORT_OWNERS[name]}) is already in use: stop what uses it, or choose"
                f" another with {PORT_FLAGS[name]} (or ports.{name} in the --config file)"
            )
        if busy:  # all at once: one run tells everything to change
            ports = ", ".join(f"{self.ports[n]} ({PORT_OWNERS[n]}, {PORT_FLAGS[n]})" for n in busy)
            raise StackError(
                f"ports already in use: {ports}: stop what uses them, or choose others with those flags"
                " (or the ports section of the --config file)"
            )

    # --- generated configuration ---------------------------------------------------------------

    def prometheus_config(self) -> Path:
        rules = asset_dir("prometheus") / "rules"
        settings = self.config.prometheus
        config = {
            "global": {
                "scrape_interval": settings["scrape_interval"],
                "evaluation_interval": settings["evaluation_interval"],
            },
            "rule_files": [str(rules / "*.yml")],
            # The exporter writes history at its own times (remote write): accept samples that old.
            "storage": {"tsdb": {"out_of_order_time_window": f"{past_counters.WRITABLE_DAYS}d"}},
            "scrape_configs": [
                {"job_name": JOB_PROMETHEUS, "static_configs": [{"targets": [f"{HOST}:{self.ports['prometheus']}"]}]},
                {
                    "job_name": JOB_COLLECTOR,
                    "static_configs": [{"targets": [f"{HOST}:{self.ports['collector_metrics']}"]}],
                },
                {"job_name": JOB_EXPORTER, "static_configs": [{"targets": [f"{HOST}:{self.ports['exporter']}"]}]},
            ],
        }
        if self.binary("alertmanager"):
            grafana = self.config.alerting.grafana_url or self.url("grafana")
            config["alerting"] = alerting_section([f"{HOST}:{self.ports['alertmanager']}"], grafana)
        path = self.run_dir / "prometheus.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def loki_config(self) -> Path:
        """loki/loki.yaml with its container paths (/loki/...) moved under the data folder."""
        config = yaml.safe_load((asset_dir("loki") / "loki.yaml").read_text())
        root = str(self.data_dir / "loki")

        def relocate(node):
            if isinstance(node, dict):
                return {k: relocate(v) for k, v in node.items()}
            if isinstance(node, list):
                return [relocate(v) for v in node]
            if isinstance(node, str) and (node == "/loki" or node.startswith("/loki/")):
                return root + node[len("/loki") :]
            return node

        config = relocate(config)
        config["server"].update(
            http_listen_port=self.ports["loki"], http_listen_address=HOST, grpc_listen_port=0, grpc_listen_address=HOST
        )
        path = self.run_dir / "loki.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def grafana_provisioning(self) -> Path:
        source = asset_dir("grafana") / "provisioning"
        target = self.run_dir / "grafana-provisioning"
        for sub in ("datasources", "dashboards", "plugins", "alerting"):
            (target / sub).mkdir(parents=True, exist_ok=True)
        local = {"prometheus": self.url("prometheus"), "loki": self.url("loki")}
        if self.binary("alertmanager"):
            local["alertmanager"] = self.url("alertmanager")
        for path in sorted((source / "datasources").glob("*.y*ml")):
            doc = yaml.safe_load(path.read_text())
            # without an Alertmanager here, its data source would only show errors
            doc["datasources"] = [
                ds for ds in doc.get("datasources", []) if ds.get("type") != "alertmanager" or "alertmanager" in local
            ]
            for ds in doc["datasources"]:
                if ds.get("type") in local:
                    ds["url"] = local[ds["type"]]
            (target / "datasources" / path.name).write_text(yaml.safe_dump(doc, sort_keys=False))
        for path in sorted((source / "dashboards").glob("*.y*ml")):
            doc = yaml.safe_load(path.read_text())
            for provider in doc.get("providers", []):
                provider.setdefault("options", {})["path"] = str(asset_dir("grafana") / "dashboards")
            (target / "dashboards" / path.name).write_text(yaml.safe_dump(doc, sort_keys=False))
        return target

    def grafana_ini(self, provisioning: Path) -> Path:
        root = self.data_dir / "grafana"
        ini = f"""[server]
http_addr = {HOST}
http_port = {self.ports["grafana"]}

[paths]
data = {root}
logs = {root / "logs"}
plugins = {root / "plugins"}
provisioning = {provisioning}

[auth.anonymous]
enabled = true
org_role = Viewer

[analytics]
reporting_enabled = false
check_for_updates = false
"""
        path = self.run_dir / "grafana.ini"
        path.write_text(ini)
        return path

    def grafana_home(self, binary: str) -> Path | None:
        binary = Path(binary).resolve()
        candidates = [binary.parent.parent, binary.parent.parent / "share" / "grafana", *map(Path, GRAFANA_HOMES)]
        return next((c for c in candidates if (c / "conf" / "defaults.ini").is_file()), None)

    # --- lifecycle ------------------------------------------------------------------------------

    def prometheus_command(self, binary: str) -> list[str]:
        return [
            binary,
            f"--config.file={self.prometheus_config()}",
            f"--storage.tsdb.path={prometheus_tsdb(self.data_dir)}",
            f"--storage.tsdb.retention.time={self.config.prometheus['retention']}",
            f"--web.listen-address={HOST}:{self.ports['prometheus']}",
            "--web.enable-lifecycle",
            "--web.enable-admin-api",
            "--web.enable-remote-write-receiver",
        ]

    def loki_command(self, binary: str) -> list[str]:
        return [binary, f"-config.file={self.loki_config()}"]

    def alertmanager_config(self) -> Path:
        """Its configuration from the `alerting` section, with its template and secrets, under run/."""
        generated = alertmanager.generate(
            self.config.alerting, self.run_dir / "alertmanager", f"{self.config.path or 'config'}: alerting"
        )
        return generated.write()

    def alertmanager_command(self, binary: str) -> list[str]:
        return [
            binary,
            f"--config.file={self.alertmanager_config()}",
            f"--storage.path={self.data_dir / 'alertmanager'}",
            f"--web.listen-address={HOST}:{self.ports['alertmanager']}",
            f"--web.external-url={self.url('alertmanager')}",
            "--cluster.listen-address=",  # one Alertmanager: no gossip port to collide with another
        ]

    def grafana_command(self, binary: str) -> list[str]:
        home = self.grafana_home(binary)
        ini = self.grafana_ini(self.grafana_provisioning())
        argv = [binary] + (["server"] if Path(binary).name == "grafana" else [])
        return argv + [f"--config={ini}"] + ([f"--homepath={home}"] if home else [])

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._lock = lock.take(self.data_dir)
        try:
            self.preflight()
            for folder in (self.run_dir, self.log_dir, prometheus_tsdb(self.data_dir)):
                folder.mkdir(parents=True, exist_ok=True)
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        for spec in self.present():
            argv = spec.command(self, self.binary(spec.name))
            self.supervisor.spawn(spec.name, argv, self.log_dir / f"{spec.name}.log", self.url(spec.port) + spec.ready)
        try:
            settings = {
                **self.config.collector,
                "grpc_port": self.ports["otlp_grpc"],
                "http_port": self.ports["otlp_http"],
                "metrics_port": self.ports["collector_metrics"],
                "data_dir": self.data_dir / "collector",
            }
            if self.binary("loki"):  # the Loki started here; else the configured one, if any
                settings["loki_url"] = self.url("loki")
            collector_settings = load_collector_config(None, **settings)
        except ConfigError as e:
            raise ConfigError(f"{self.config.path or 'config'}: collector: {e}") from None
        self.collector = CollectorService(collector_settings)
        try:
            self.collector.start()
        except (OSError, RuntimeError) as e:
            self.collector = None
            raise StackError(
                f"collector: {e} (see --otlp-grpc-port, --otlp-http-port, --collector-metrics-port)"
            ) from None
        exporter_config = self.config.exporter
        if not exporter_config.prometheus_url:  # history goes into this stack's Prometheus
            exporter_config = exporter_config.model_copy(update={"prometheus_url": self.url("prometheus")})
        if not exporter_config.loki_url and collector_settings.loki_url:  # where sessions' events are
            exporter_config = exporter_config.model_copy(update={"loki_url": collector_settings.loki_url})
        self.exporter = ExporterService(
            exporter_config, port=self.ports["exporter"], host=HOST, data_dir=self.data_dir / "exporter"
        )
        self.exporter.registry.register(self.supervisor)  # restarts, beside the exporter's series
        try:
            self.exporter.start()
        except (OSError, RuntimeError) as e:
            self.exporter = None
            raise StackError(f"exporter: {e} (--exporter-port or ports.exporter)") from None
        late = self.supervisor.wait_ready(READY_TIMEOUT)
        if late is not None:
            raise StackError(
                f"{late.name} was not ready after {READY_TIMEOUT:.0f}s ({late.ready_url}); log: {late.log}"
            )

    def supervise(self) -> None:
        """Restart what exited (call it often); supervision.CrashLoop when a child keeps exiting."""
        self.supervisor.check()

    def stop(self) -> None:
        """Stop everything that was started, children first; idempotent."""
        self.supervisor.stop()
        shutil.rmtree(self.run_dir / "alertmanager" / alertmanager.SECRETS, ignore_errors=True)
        if self.exporter is not None:
            self.exporter.stop()
            self.exporter = None
        if self.collector is not None:
            self.collector.stop()
            self.collector = None
        if self._lock is not None:
            os.close(self._lock)  # releases the data dir
            self._lock = None

    # --- what to tell the user ---------------------------------------------------------------------

    def endpoints(self) -> dict[str, str | None]:
        names = {c.name for c in self.supervisor.children}
        collector = self.collector.endpoints if self.collector else {}
        return {
            "otlp_grpc": collector.get("otlp_grpc"),
            "otlp_http": collector.get("otlp_http"),
            "collector_metrics": collector.get("metrics"),
            "exporter": self.url("exporter"),
            "prometheus": self.url("prometheus"),
            "loki": self.url("loki") if "loki" in names else None,
            "grafana": self.url("grafana") if "grafana" in names else None,
            "alertmanager": self.url("alertmanager") if "alertmanager" in names else None,
        }


@dataclass(frozen=True)
class ChildSpec:
    """A server `up` runs as a child process; another one is one more entry in CHILDREN."""

    name: str  # its log (logs/NAME.log), its `child` label in the restart counter, its name in messages
    port: str  # the key of `ports` it listens on
    ready: str  # the path that answers 200 once it serves
    find: Callable[[], tuple[str | None, str]]  # its program on this machine, or None and why not
    command: Callable[[LocalStack, str], list[str]]  # its command line (writing its configuration)
    install: str = ""  # `up` needs it: how to install it


CHILDREN = (  # in the order they start, and the reverse of the order they stop
    ChildSpec("loki", "loki", "/ready", find_grafana_loki, LocalStack.loki_command),
    # before Prometheus, which sends it alerts from its first evaluation
    ChildSpec("alertmanager", "alertmanager", "/-/ready", find_alertmanager, LocalStack.alertmanager_command),
    ChildSpec(
        "prometheus", "prometheus", "/-/ready", find_prometheus, LocalStack.prometheus_command, INSTALL_PROMETHEUS
    ),
    ChildSpec("grafana", "grafana", "/api/health", find_grafana, LocalStack.grafana_command),
)
