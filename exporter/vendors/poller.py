"""Polls one vendor organisation API on its interval and commits each day into the day store.

A failed poll changes nothing already committed (the last good values stay) and is counted by
reason: `no_key` (the environment variable is empty), the transport's reasons (`unauthorized`,
`forbidden`, `rate_limited`, `server_error`, ...), `bad_payload` for a payload of unexpected
shape, `prometheus` when the first run cannot learn which days Prometheus already holds. The
key's value is read from the environment at each poll and goes nowhere but the request headers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

from prometheus_client.registry import Collector

from agent_analytics.exporter.api_client import ApiError
from agent_analytics.exporter.config import VendorApiConfig
from agent_analytics.exporter.vendors.days import PrometheusUnreachable, VendorDays, newest_day_in_prometheus
from agent_analytics.exporter.vendors.figures import ShapeError, VendorSource, utc_today
from agent_analytics.wire.remote_write import RemoteWriteError

log = logging.getLogger(__name__)

# At a stack's start Prometheus may answer a little after the exporter; the first run waits this
# long for it rather than a whole poll interval.
PROMETHEUS_WAIT_SECONDS = 10.0

SourceFactory = Callable[[str], VendorSource]  # key -> source


def runs(days: list[date], longest: int = 0) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges of at most `longest` days (0: any length), so a
    source is asked for ranges, not single days."""
    out: list[tuple[date, date]] = []
    for d in sorted(days):
        if out and out[-1][1] + timedelta(days=1) == d and (not longest or (d - out[-1][0]).days < longest):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


class VendorPoller:
    def __init__(
        self,
        name: str,
        config: VendorApiConfig,
        make_source: SourceFactory,
        store: VendorDays,
        prometheus_url: str | None = None,
        today: Callable[[], date] = utc_today,
        prometheus_wait_seconds: float = PROMETHEUS_WAIT_SECONDS,
        write_url: str | None = None,
    ):
        self.name = name
        self.prometheus_wait_seconds = prometheus_wait_seconds
        self.config = config
        self.make_source = make_source
        self.store = store
        self.prometheus_url = prometheus_url  # asked which days it holds
        self.write_url = write_url  # where day samples go, when not prometheus_url (Thanos Receive)
        self._today = today
        self._poll_lock = threading.Lock()
        self._lock = threading.Lock()
        self._source: VendorSource | None = None
        self._source_key: str | None = None
        self.up = 0
        self.last_success: float | None = None
        self.errors: dict[str, int] = defaultdict(int)
        self._said_no_key = False

    # --- polling --------------------------------------------------------------------------------

    def poll(self) -> bool:
        """One poll; True when the API gave every day asked for. Never raises."""
        with self._poll_lock:
            try:
                ok = self._poll()
            except Exception:  # whatever a payload did, the exporter keeps running
                log.exception("%s: unexpected failure", self.name)
                ok = self._failed("bad_payload")
            self.push()
            return ok

    def _poll(self) -> bool:
        source = self._current_source()
        if source is None:
            return self._failed("no_key")
        today = self._today()
        if self.store.first_live_day(self.name) is None:
            try:
                newest = self._newest_day_in_prometheus() if self.prometheus_url else None
            except PrometheusUnreachable as e:
                log.warning("%s: %s; retried at the next poll", self.name, e)
                return self._failed("prometheus")
            start = VendorDays.first_run_start(today, self.config.refetch_days, self.config.history_days, newest)
            self.store.start_live(self.name, start)
        days = self.store.days_to_fetch(self.name, today, self.config.refetch_days, self.config.history_days)
        # A source that asks one day per request says so (days_per_fetch = 1): each day is then
        # committed as it arrives and a failure on one day keeps the days before it.
        per_fetch = getattr(source, "days_per_fetch", 0)
        try:
            for first, last in runs(days, per_fetch):
                fetched = source.fetch_days(first, last)
                for day in sorted(fetched):
                    if first <= day <= last:
                        self.store.record(self.name, day, fetched[day])
        except ApiError as e:
            log.warning("%s: %s", self.name, e)
            return self._failed(e.reason)
        except ShapeError as e:
            log.warning("%s: payload of unexpected shape: %s", self.name, e)
            return self._failed("bad_payload")
        with self._lock:
            self.up = 1
            self.last_success = time.time()
        return True

    def _newest_day_in_prometheus(self) -> date | None:
        deadline = time.monotonic() + self.prometheus_wait_seconds
        while True:
            try:
                return newest_day_in_prometheus(self.prometheus_url, self.name)
            except PrometheusUnreachable:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(min(1.0, self.prometheus_wait_seconds))

    def _current_source(self) -> VendorSource | None:
        env = self.config.key_env
        key = os.environ.get(env, "").strip()
        if not key:
            if not self._said_no_key:
                log.warning("%s: environment variable %s is empty or unset; not polling", self.name, env)
                self._said_no_key = True
            self._drop_source()
            return None
        self._said_no_key = False
        if self._source is None or key != self._source_key:
            self._drop_source()
            self._source, self._source_key = self.make_source(key), key
        return self._source

    def _drop_source(self) -> None:
        if self._source is not None:
            self._source.close()
        self._source = self._source_key = None

    def _failed(self, reason: str) -> bool:
        with self._lock:
            self.up = 0
            self.errors[reason] += 1
        return False

    def push(self) -> int:
        """Write staged day samples into Prometheus (kept staged until prometheus_url is set)."""
        url = self.write_url or self.prometheus_url
        if not url:
            return 0
        try:
            return self.store.push(url)
        except RemoteWriteError as e:
            log.warning("%s: day samples not written yet, retried at the next poll: %s", self.name, e)
            with self._lock:
                self.errors["remote_write"] += 1
            return 0

    def close(self) -> None:
        with self._poll_lock:
            self._drop_source()

    def status(self) -> tuple[int, float | None, dict[str, int]]:
        """(up, last success, errors by reason), read together."""
        with self._lock:
            return self.up, self.last_success, dict(self.errors)

    def source_gauges(self) -> Collector | None:
        return self._source.gauges() if self._source is not None else None
