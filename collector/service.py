"""CollectorService: the embedded collector as one object that starts and stops.

svc = CollectorService(load_config(None, grpc_port=0, http_port=0, metrics_port=0))
svc.start()          # returns once every port is bound; svc.http_port etc. are the real ports
...
svc.stop()           # snapshots the metric state, spools unsent events
"""

from __future__ import annotations

import gc
import logging
import threading

from agent_analytics.wire.serving import Servers, listen

from .config import CollectorConfig
from .events import EventPipeline
from .exposition import metrics_registry
from .grpc_server import build_server
from .http_server import MetricsApp, OtlpHttpApp
from .metric_state import MetricState
from .receiver import Receiver
from .self_metrics import SelfMetrics

log = logging.getLogger(__name__)


# Container objects allocated, net, before Python looks for garbage cycles (its default: 700).
GC_YOUNG_THRESHOLD = 50_000


def collect_garbage_less() -> None:
    """For a process that is the collector, once started. Taking a request allocates thousands
    of small tuples that die young (freed as soon as they are unused; they form no cycles):
    looking for cycles among them every 700 took a sixth of the CPU of a batch. Look less
    often, and never again through what is alive after start (modules, configuration)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(max(gc.get_threshold()[0], GC_YOUNG_THRESHOLD))


class CollectorService:
    def __init__(self, config: CollectorConfig):
        self.config = config
        self.policy = config.policy()
        self.self_metrics = SelfMetrics()
        self.state = MetricState(
            self.policy,
            self.self_metrics,
            config.data_dir,
            sync=config.durability == "fsync",
            stream_ttl_seconds=config.cumulative_stream_ttl_seconds,
        )
        self.events: EventPipeline | None = None
        self.receiver: Receiver | None = None
        self.grpc_port = config.grpc_port
        self.http_port = config.http_port
        self.metrics_port = config.metrics_port
        self._servers: Servers | None = None
        self._grpc = None
        self._otlp_http: OtlpHttpApp | None = None
        self._stop_persist = threading.Event()
        self._persist_thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> CollectorService:
        """Restore state, bind every port, serve in background threads; returns when listening."""
        config = self.config
        # events may carry e-mail addresses and repository names: private to the user running it
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.state.open()
        self.events = EventPipeline(config, self.self_metrics)
        self.receiver = Receiver(
            self.state,
            self.events,
            self.policy,
            self.self_metrics,
            config.auth_tokens,
            config.max_request_bytes,
            config.log_prompts,
        )
        fix = "stop what uses it (another collector?) or choose another port"
        http = listen(config.host, config.http_port, "collector OTLP/HTTP", fix)
        try:
            metrics = listen(config.host, config.metrics_port, "collector /metrics", fix)
        except OSError:
            http.close()
            raise
        self.http_port = http.getsockname()[1]
        self.metrics_port = metrics.getsockname()[1]
        try:
            self._grpc, self.grpc_port = build_server(self.receiver, config.host, config.grpc_port, fix)
        except OSError:
            http.close()
            metrics.close()
            raise
        self.events.start()
        self._grpc.start()
        self._otlp_http = OtlpHttpApp(self.receiver)
        apps = [self._otlp_http, MetricsApp(metrics_registry(self.state.accumulator, self.self_metrics))]
        self._servers = Servers("collector", list(zip(apps, [http, metrics], strict=True)), fast=True)
        try:
            self._servers.start()
        except BaseException:
            self._servers = None
            self.stop()
            raise
        self._persist_thread = threading.Thread(target=self._persist_loop, name="aa-persist", daemon=True)
        self._persist_thread.start()
        return self

    def _persist_loop(self) -> None:
        while not self._stop_persist.wait(self.config.persist_interval_seconds):
            self.save_state()

    def save_state(self) -> None:
        """Snapshot the totals (the write-ahead log already holds them) so the log stays short."""
        try:
            self.state.checkpoint()
        except Exception:
            log.exception("cannot write a snapshot of the metric state")

    def stop(self) -> None:
        """Stop receiving, deliver or spool queued events, write the metric state."""
        self._stop_persist.set()
        if self._servers is not None:
            self._servers.stop()
            self._servers = None
        if self._grpc is not None:
            self._grpc.stop(grace=2).wait(5)
            self._grpc = None
        if self._otlp_http is not None:
            self._otlp_http.close()
        if self.events is not None:
            self.events.stop()
        if self._persist_thread is not None:
            self._persist_thread.join(timeout=5)
        self.state.close()

    def __enter__(self) -> CollectorService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- for callers ---------------------------------------------------------------------------

    @property
    def endpoints(self) -> dict[str, str]:
        host = self.config.host if self.config.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return {
            "otlp_grpc": f"{host}:{self.grpc_port}",
            "otlp_http": f"http://{host}:{self.http_port}",
            "metrics": f"http://{host}:{self.metrics_port}/metrics",
        }
