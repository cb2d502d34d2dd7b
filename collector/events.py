"""Agent events (OTLP log records): cleaned on receipt, then delivered in the background to Loki's
OTLP endpoint (with retries and an on-disk spool) or, without Loki, to rotating NDJSON files."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from agent_analytics.vocabulary.series import LOKI_FORWARD_FAILURES, LOKI_FORWARDED

from .accepted_points import resource_identity
from .config import CollectorConfig
from .event_spool import EventSpool
from .group_commit import GroupCommit, Ticket
from .metric_state import plain_value
from .self_metrics import SelfMetrics

log = logging.getLogger(__name__)

# Largest body sent to Loki at once (Loki's default limit for one push is larger).
MAX_SEND_BYTES = 4 * 1024 * 1024
# Sends to Loki start at most this often: under load one push carries the events of many
# requests instead of each commit's (a push costs far more CPU than the events in it).
SEND_INTERVAL_SECONDS = 0.05


def _drop_keys(attributes: Any, keys: frozenset[str]) -> None:
    if keys and any(kv.key in keys for kv in attributes):
        kept = [kv for kv in attributes if kv.key not in keys]
        del attributes[:]
        attributes.extend(kept)


def clean_logs(
    request: ExportLogsServiceRequest,
    content_attributes: frozenset[str],
    developer_attribute: str,
    developer_id: str | None,
    content_resource_attributes: frozenset[str] = frozenset(),
) -> dict[str, int]:
    """Remove content attributes in place, add the header's developer id to resources that have
    none, date records that carry no time (Codex sends time_unix_nano 0) at their observed time,
    and return the number of log records per agent (service.name)."""
    per_agent: dict[str, int] = {}
    received = time.time_ns()
    for rl in request.resource_logs:
        _drop_keys(rl.resource.attributes, content_resource_attributes)
        pairs = ((kv.key, kv.value.string_value) for kv in rl.resource.attributes)
        agent, has_developer = resource_identity(pairs, developer_attribute)
        if developer_id and not has_developer:
            added = rl.resource.attributes.add()
            added.key = developer_attribute
            added.value.string_value = developer_id
        records = 0
        for sl in rl.scope_logs:
            for record in sl.log_records:
                records += 1
                if not record.time_unix_nano:
                    record.time_unix_nano = record.observed_time_unix_nano or received
                _drop_keys(record.attributes, content_attributes)
        per_agent[agent] = per_agent.get(agent, 0) + records
    return per_agent


class LokiSink:
    """Events wait in the durable spool from the moment they are accepted until Loki takes them."""

    def __init__(self, config: CollectorConfig, self_metrics: SelfMetrics):
        self.url = f"{config.loki_url}/otlp/v1/logs"
        self.self_metrics = self_metrics
        self.spool = EventSpool(
            config.spool_dir, config.spool_max_bytes, self_metrics, sync=config.durability == "fsync"
        )
        self.client = httpx.Client(timeout=config.loki_timeout_seconds)
        self.max_backoff = config.loki_max_backoff_seconds
        self.backoff = 0.0
        self.next_attempt = 0.0

    def _send(self, batch: bytes, records: int) -> bool | None:
        """True when Loki took it, False to retry later, None when Loki refused it for good."""
        try:
            response = self.client.post(self.url, content=batch, headers={"Content-Type": "application/x-protobuf"})
        except httpx.HTTPError as e:
            log.warning("loki unreachable (%s): events kept in the spool", type(e).__name__)
            return False
        if response.is_success:
            return True
        if response.status_code == 429 or response.status_code >= 500:
            log.warning("loki answered %s: events kept in the spool", response.status_code)
            return False
        log.error("loki refused a batch of %d events (%s): %s", records, response.status_code, response.text[:200])
        return None

    def _failed(self) -> None:
        self.self_metrics.add(LOKI_FORWARD_FAILURES)
        self.backoff = min(self.max_backoff, max(0.5, self.backoff * 2))
        self.next_attempt = time.monotonic() + self.backoff

    def stage(self, batch: bytes, records: int) -> Ticket:
        """Durable once wait(ticket) returns; sent by flush() on the pipeline's thread."""
        return self.spool.stage(batch, records)

    def wait(self, ticket: Ticket) -> None:
        self.spool.wait(ticket)

    def flush(self) -> None:
        """Send the spool, oldest first (several batches per request), until it is empty or Loki
        fails again. A batch leaves the spool only once Loki has taken it."""
        while time.monotonic() >= self.next_attempt:
            taken = self.spool.oldest(MAX_SEND_BYTES)
            if taken is None:
                return
            through, body, records = taken
            result = self._send(body, records)
            if result is False:
                self._failed()
                return
            gone = self.spool.sent(through)
            if result is None:
                self._failed()
            else:
                self.backoff = 0.0
                self.self_metrics.add(LOKI_FORWARDED, gone)

    def wait_hint(self) -> float | None:
        """Seconds until the spool should be retried, None when nothing waits."""
        if not len(self.spool):
            return None
        return max(0.0, self.next_attempt - time.monotonic())

    def close(self) -> None:
        self.client.close()
        self.spool.close()


def _timestamp(nanos: int) -> str:
    return dt.datetime.fromtimestamp(nanos / 1e9, tz=dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: plain_value(kv.value) for kv in kvs}


class NdjsonSink:
    """Appends one JSON object per event to <data-dir>/events/events.ndjson, rotated by size.
    Requests arrive on several threads: their lines are written in group commits, one at a
    time (whole lines, one rotation), with one sync for all."""

    def __init__(self, config: CollectorConfig):
        self._group = GroupCommit(self._commit)
        self.sync = config.durability == "fsync"
        self.directory: Path = config.events_dir
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "events.ndjson"
        self.max_bytes = config.events_file_max_bytes
        self.keep = config.events_file_count

    def _rotate(self) -> None:
        for i in range(self.keep - 1, 0, -1):
            older = self.directory / f"events.{i}.ndjson"
            if older.exists():
                if i + 1 >= self.keep:
                    older.unlink()
                else:
                    older.rename(self.directory / f"events.{i + 1}.ndjson")
        if self.keep > 1:
            self.path.rename(self.directory / "events.1.ndjson")
        else:
            self.path.unlink()

    def stage(self, batch: bytes, records: int) -> Ticket:
        """Written (and synced, with durability fsync) once wait(ticket) returns."""
        request = ExportLogsServiceRequest.FromString(batch)
        lines = []
        for rl in request.resource_logs:
            resource = _attributes(rl.resource.attributes)
            service = resource.get("service.name", "")
            for sl in rl.scope_logs:
                for record in sl.log_records:
                    nanos = record.time_unix_nano or record.observed_time_unix_nano
                    event = {
                        "time": _timestamp(nanos),
                        "service_name": service,
                        "scope": sl.scope.name,
                        "severity": record.severity_text,
                        "body": plain_value(record.body) if record.HasField("body") else None,
                        "attributes": _attributes(record.attributes),
                        "resource": resource,
                    }
                    lines.append(json.dumps(event, separators=(",", ":"), default=str))
        return self._group.stage(lines)

    def wait(self, ticket: Ticket) -> None:
        self._group.wait(ticket)

    def _commit(self, entries: list[tuple[list[str], Ticket]]) -> None:
        self._append([line for lines, _ in entries for line in lines])
        for _, ticket in entries:
            ticket.settle()

    def _append(self, lines: list[str]) -> None:
        size = self.path.stat().st_size if self.path.exists() else 0
        f = open(self.path, "a")  # noqa: SIM115 - reopened at each rotation
        try:
            for line in lines:
                data = line + "\n"
                # rotate at line boundaries, so a file never exceeds the limit unless one event does
                # (json.dumps escapes non-ASCII, so characters are bytes)
                if size and size + len(data) > self.max_bytes:
                    self._sync(f)
                    f.close()
                    self._rotate()
                    f = open(self.path, "a")  # noqa: SIM115
                    size = 0
                f.write(data)
                size += len(data)
            self._sync(f)
        finally:
            f.close()

    def _sync(self, f) -> None:
        if self.sync:
            f.flush()
            os.fdatasync(f.fileno())

    def flush(self) -> None:
        pass

    def wait_hint(self) -> float | None:
        return None

    def close(self) -> None:
        pass


class EventPipeline:
    """Takes cleaned log requests from the receivers: stage() queues them for the sink, which
    has them on disk when wait() returns; a thread of its own sends the spool on to Loki."""

    def __init__(self, config: CollectorConfig, self_metrics: SelfMetrics):
        self.sink: LokiSink | NdjsonSink = LokiSink(config, self_metrics) if config.loki_url else NdjsonSink(config)
        self._cond = threading.Condition()
        self._stopping = False
        self._idle = False  # the sender waits for events (not for a retry or its next send)
        self._thread = threading.Thread(target=self._run, name="aa-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stage(self, request: ExportLogsServiceRequest, records: int) -> Ticket | None:
        """Queue the request's records for the sink's next commit (None when it has none)."""
        return self.sink.stage(request.SerializeToString(), records) if records else None

    def wait(self, ticket: Ticket | None) -> None:
        """Return once the staged records are on disk (leading the commit when none is under
        way), and wake the sender."""
        if ticket is None:
            return
        self.sink.wait(ticket)
        with self._cond:
            if self._idle:  # otherwise the sender is already due to look at the spool
                self._cond.notify()

    def _run(self) -> None:
        next_send = 0.0
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    hint = self.sink.wait_hint()
                    if hint is not None:
                        hint = max(hint, next_send - time.monotonic())
                        if hint <= 0:
                            break
                    self._idle = hint is None
                    self._cond.wait(timeout=hint)
                self._idle = False
            next_send = time.monotonic() + SEND_INTERVAL_SECONDS
            try:
                self.sink.flush()
            except Exception:  # a sink failure must not end event delivery
                log.exception("event delivery failed")
                time.sleep(0.5)

    def stop(self) -> None:
        """Stop sending; what Loki has not taken stays in the spool for the next start."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout=30)
        self.sink.close()
