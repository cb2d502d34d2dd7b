"""A stand-in for Loki (which cannot run here), on a real loopback socket.

It takes events as Loki's native OTLP endpoint does (`POST /otlp/v1/logs`, protobuf, gzip when
`Content-Encoding: gzip` says so, the OpenTelemetry Collector's default; 204 on success): the
resource's `service.name` becomes the stream label `service_name`, every other resource and
record attribute structured metadata with dots turned into underscores, the entry's time the
record's time (observed time when that is 0). It answers `GET /loki/api/v1/query_range` in
Loki's streams format for the LogQL the exporter sends: a stream selector followed by
`| name="value"` label filters, and `GET /loki/api/v1/query` (instant) for one metric form
the dashboards use: `sum by (labels) (count_over_time(SELECTOR FILTERS [RANGE]))` with `=`, `=~`
and `!=` label filters, regular expressions anchored at both ends as Loki anchors them (anything
else is answered 400, as a query it does not know). Start is inclusive and end exclusive, in
nanoseconds, as Loki reads them.

It also keeps each record as it arrived (`records`: resource, scope, body and attributes with
their typed values), so a test of what a collector sends can check it before Loki's flattening.
"""

from __future__ import annotations

import gzip
import json
import re

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from agent_analytics.collector.metric_state import plain_value

from .http_standin import HttpStandIn, Reply, Request

SELECTOR = re.compile(r'^\{(\w+)="([^"]*)"\}((?:\s*\|\s*\w+="[^"]*")*)\s*$')
FILTER = re.compile(r'\|\s*(\w+)="([^"]*)"')
COUNT = re.compile(
    r'^sum by \(([\w, ]*)\) \(count_over_time\(\{(\w+)="([^"]*)"\}((?:\s*\|\s*\w+(?:=|=~|!=)"[^"]*")*)'
    r"\s*\[(\d+)([smhd])\]\)\)$"
)
MATCHER = re.compile(r'\|\s*(\w+)(=~|!=|=)"([^"]*)"')
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _text(value) -> str:
    kind = value.WhichOneof("value")
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind in ("int_value", "double_value", "string_value"):
        return str(getattr(value, kind))
    return json.dumps(str(value))


class LokiStandin(HttpStandIn):
    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.entries: list[tuple[int, dict[str, str], dict[str, str], str]] = []  # ns, stream, metadata, line
        self.records: list[dict] = []  # {"resource": {...}, "scope": str, "body": str, "attributes": {...}}
        self.queries: list[str] = []

    def ingest(self, body: bytes) -> None:
        request = ExportLogsServiceRequest.FromString(body)
        with self.lock:
            for resource_logs in request.resource_logs:
                attributes = resource_logs.resource.attributes
                typed_resource = {a.key: plain_value(a.value) for a in attributes}
                resource = {a.key: _text(a.value) for a in attributes}
                stream = {"service_name": resource.pop("service.name", "unknown_service")}
                for scope_logs in resource_logs.scope_logs:
                    for record in scope_logs.log_records:
                        self.records.append(
                            {
                                "resource": typed_resource,
                                "scope": scope_logs.scope.name,
                                "body": record.body.string_value,
                                "attributes": {a.key: plain_value(a.value) for a in record.attributes},
                            }
                        )
                        attributes = {**resource, **{a.key: _text(a.value) for a in record.attributes}}
                        metadata = {k.replace(".", "_"): v for k, v in attributes.items()}
                        ns = record.time_unix_nano or record.observed_time_unix_nano
                        self.entries.append((ns, stream, metadata, record.body.string_value))

    def count(self) -> int:
        with self.lock:
            return len(self.records)

    def query_range(self, query: str, start: int, end: int, limit: int, forward: bool) -> list[dict] | None:
        match = SELECTOR.match(query)
        if not match:
            return None
        wanted = {match.group(1): match.group(2)}
        filters = dict(FILTER.findall(match.group(3)))
        with self.lock:
            self.queries.append(query)
            found = [
                e
                for e in self.entries
                if start <= e[0] < end
                and all(e[1].get(k) == v for k, v in wanted.items())
                and all({**e[1], **e[2]}.get(k) == v for k, v in filters.items())
            ]
        found = sorted(found, key=lambda e: e[0], reverse=not forward)[:limit]
        streams: dict[str, dict] = {}
        for ns, stream, metadata, line in found:
            labels = {**stream, **metadata}
            streams.setdefault(json.dumps(labels, sort_keys=True), {"stream": labels, "values": []})["values"].append(
                [str(ns), line]
            )
        return list(streams.values())

    def count_by(self, query: str, at_ns: int) -> list[dict] | None:
        """The vector of `sum by (...) (count_over_time(...))` at `at_ns` (None: another query)."""
        match = COUNT.match(query.strip())
        if not match:
            return None
        by = [x.strip() for x in match.group(1).split(",") if x.strip()]
        stream_label, stream_value, pipeline = match.group(2), match.group(3), match.group(4)
        span = int(match.group(5)) * UNIT_SECONDS[match.group(6)] * 10**9

        def passes(labels: dict[str, str]) -> bool:
            for name, op, value in MATCHER.findall(pipeline):
                got = labels.get(name, "")
                if (op == "=" and got != value) or (op == "!=" and got == value):
                    return False
                if op == "=~" and not re.fullmatch(value, got):
                    return False
            return True

        groups: dict[tuple[str, ...], int] = {}
        with self.lock:
            for ns, stream, metadata, _ in self.entries:
                labels = {**stream, **metadata}
                if at_ns - span < ns <= at_ns and stream.get(stream_label) == stream_value and passes(labels):
                    key = tuple(labels.get(name, "") for name in by)
                    groups[key] = groups.get(key, 0) + 1
        return [
            {"metric": {k: v for k, v in zip(by, key, strict=True) if v}, "value": [at_ns / 1e9, str(n)]}
            for key, n in sorted(groups.items())
        ]

    def respond(self, request: Request) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        if request.method == "POST":
            if request.path != "/otlp/v1/logs":
                return Reply(404, {"message": "not found"})
            if request.headers.get("content-type") != "application/x-protobuf":
                return Reply(400, {"message": "unsupported content type"})
            gzipped = request.headers.get("content-encoding") == "gzip"
            self.ingest(gzip.decompress(request.body) if gzipped else request.body)
            return Reply(204)
        if request.path == "/ready":
            return Reply(200, {"status": "ready"})
        if request.path == "/loki/api/v1/query":
            vector = self.count_by(q.get("query", ""), int(q["time"]))
            if vector is None:
                return Reply(400, {"message": "parse error"})
            return Reply(200, {"status": "success", "data": {"resultType": "vector", "result": vector}})
        if request.path != "/loki/api/v1/query_range":
            return Reply(404, {"message": "not found"})
        result = self.query_range(
            q.get("query", ""),
            int(q.get("start", "0")),
            int(q.get("end", str(2**63 - 1))),
            int(q.get("limit", "100")),
            q.get("direction", "backward") == "forward",
        )
        if result is None:
            return Reply(400, {"message": "parse error"})
        return Reply(200, {"status": "success", "data": {"resultType": "streams", "result": result}})
