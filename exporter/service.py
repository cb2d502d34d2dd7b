"""The exporter as an object: `ExporterService(config).start()` serves in background threads.

Used by `agent-analytics exporter` (foreground) and by `agent-analytics up` (embedded stack):

    svc = ExporterService(load_config(path), port=0, data_dir=...)
    svc.start()      # returns once it answers; svc.port is the real port
    svc.stop()
"""

import functools
import logging
import threading
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

from agent_analytics import __version__
from agent_analytics.config.paths import data_home
from agent_analytics.exporter.app import create_app
from agent_analytics.exporter.config import ExporterConfig, load_config  # noqa: F401 - part of this module's API
from agent_analytics.exporter.config_metrics import ConfigExposition
from agent_analytics.exporter.git.attribution import load_markers
from agent_analytics.exporter.git.metrics import GitExposition, ScanStats
from agent_analytics.exporter.git.scan import RepoScanner, ScanCancelled
from agent_analytics.exporter.git.store import CommitStore
from agent_analytics.exporter.git.time_to_commit import TimeToCommit
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.prices import REFRESH_SECONDS, TokenPriceExposition
from agent_analytics.exporter.vendors.copilot.exposition import CopilotExposition
from agent_analytics.exporter.vendors.copilot.poller import CopilotPoller
from agent_analytics.exporter.vendors.days import VendorDays
from agent_analytics.exporter.vendors.poller import VendorPoller
from agent_analytics.exporter.vendors.sources import source_for
from agent_analytics.exporter.vendors.status import VendorStatusExposition
from agent_analytics.wire.remote_write import RemoteWriteError
from agent_analytics.wire.serving import Servers, listen

log = logging.getLogger(__name__)


def default_data_dir() -> Path:
    return data_home() / "exporter"


class ExporterService:
    def __init__(
        self,
        config: ExporterConfig,
        port: int = 9465,
        host: str = "127.0.0.1",
        data_dir: str | Path | None = None,
        scan: bool = True,
        poll: bool = True,
    ):
        self.config = config
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self.data_dir = Path(data_dir or config.data_dir or default_data_dir())
        self.markers = load_markers()
        self.store = CommitStore(self.data_dir, IdentityMap(config.identities), config.hook_wait_seconds)
        self.stats = ScanStats()
        self._stop = threading.Event()
        self.scanners = [RepoScanner(path, self.store, self.markers, stop=self._stop) for path in config.repos]
        for scanner in self.scanners:  # a counter that exists from the start shows its first increase
            self.stats.errors.setdefault(scanner.repo_name, 0)
        self.copilot = CopilotPoller(config.copilot) if config.copilot else None
        identities = IdentityMap(config.identities)
        vendor_configs = config.vendor_configs()
        self.vendor_days = VendorDays(self.data_dir) if vendor_configs else None
        self.vendors = [
            VendorPoller(
                name,
                source_config,
                functools.partial(source_for, name, config, identities),
                self.vendor_days,
                config.prometheus_url,
                write_url=config.remote_write_url,
            )
            for name, source_config in vendor_configs.items()
        ]
        self.registry = CollectorRegistry()
        self.registry.register(GitExposition(self.store, self.stats))
        self.registry.register(ConfigExposition(config))
        self.time_to_commit = TimeToCommit(self.data_dir, self.store, config.loki_url)
        self.registry.register(self.time_to_commit)
        self.prices = TokenPriceExposition(config.prometheus_url)
        self.registry.register(self.prices)
        if self.copilot:
            self.registry.register(CopilotExposition(self.copilot))
        if self.vendors:
            self.registry.register(VendorStatusExposition(self.vendors, self.vendor_days))
        self.app = create_app(config, self.store, self.markers, self.registry, health=self.health)
        self._scan_enabled = scan
        self._poll_enabled = poll
        self._scan_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._server: Servers | None = None

    # --- work -----------------------------------------------------------------------------------

    def scan_now(self) -> int:
        """Scan every configured repository once; returns the number of new commits."""
        new = 0
        with self._scan_lock:
            for scanner in self.scanners:
                try:
                    result = scanner.scan()
                except ScanCancelled:
                    break
                except Exception as e:  # a broken repository must not stop the others
                    self.stats.errors[scanner.repo_name] = self.stats.errors.get(scanner.repo_name, 0) + 1
                    log.warning("scan of %s failed: %s", scanner.path, str(e).strip().splitlines()[0][:300])
                    continue
                self.stats.last_scan[result.repo] = time.time()
                self.stats.duration[result.repo] = result.seconds
                new += result.new_commits
        self.write_history()
        return new

    def write_history(self) -> int:
        """Count held commits whose wait is over and write staged history into Prometheus; samples written."""
        self.store.release_held()
        self.time_to_commit.resolve()
        if not self.config.history_url():
            return 0  # kept staged until a prometheus_url is configured
        try:
            return self.store.push_history(self.config.history_url()).samples
        except RemoteWriteError as e:
            self.stats.history_errors += 1
            log.warning("history not written yet, retried at the next scan: %s", e)
            return 0

    def poll_now(self) -> bool:
        return self.copilot.poll() if self.copilot else True

    def poll_vendors(self) -> bool:
        """One poll of every vendor source; True when all of them succeeded."""
        return all([vendor.poll() for vendor in self.vendors])

    def _loop(self, interval: float, work) -> None:
        while not self._stop.is_set():
            try:
                work()
            except Exception:
                log.exception("background work failed")
            self._stop.wait(interval)

    def health(self) -> dict:
        return {
            "repos": len(self.scanners),
            "commits": self.store.commit_count(),
            "copilot": self.copilot.figures().up if self.copilot else None,
            "vendors": {v.name: v.up for v in self.vendors} or None,
        }

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> "ExporterService":
        """Serve in background threads; returns once /metrics answers (raises with the reason otherwise)."""
        sock = listen(self.host, self.requested_port, "exporter", fix="choose another --port")
        self.port = sock.getsockname()[1]
        self._server = Servers("exporter-http", [(self.app, sock)]).start()
        if self._scan_enabled and self.scanners:
            self._spawn("exporter-scan", self.config.scan_interval_seconds, self.scan_now)
        elif self._scan_enabled:  # hook-only: late commits still go in at their own time
            self._spawn("exporter-history", self.config.scan_interval_seconds, self.write_history)
        if self._poll_enabled and self.copilot:
            self._spawn("exporter-copilot", self.config.copilot.poll_interval_seconds, self.poll_now)
        if self._poll_enabled:
            for vendor in self.vendors:
                self._spawn(f"exporter-{vendor.name}", vendor.config.poll_interval_seconds, vendor.poll)
        if self.config.prometheus_url:  # which models to price: learnt from Prometheus, off the scrape path
            self._spawn("exporter-prices", REFRESH_SECONDS, self.prices.refresh)
        log.info("agent-analytics exporter %s listening on %s:%s", __version__, self.host, self.port)
        return self

    def _spawn(self, name: str, interval: float, work) -> None:
        t = threading.Thread(target=self._loop, args=(interval, work), name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.stop()
            self._server = None
        for t in self._threads:
            t.join(timeout=15)
        self._threads.clear()
        with self._scan_lock:
            self.store.close()
            self.time_to_commit.close()
        for vendor in self.vendors:
            vendor.close()
        if self.vendor_days is not None:
            self.vendor_days.close()

    def __enter__(self) -> "ExporterService":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
