"""A stand-in for Loki's native OTLP endpoint (POST /otlp/v1/logs, protobuf body, 204 on
success), on a real socket: it decodes what it receives and keeps the log records. Like Loki it
takes gzip bodies (Content-Encoding: gzip, the OpenTelemetry Collector's default)."""

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from agent_analytics.collector.metric_state import plain_value


class FakeLoki:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.records: list[dict] = []  # {"resource": {...}, "scope": str, "body": str, "attributes": {...}}
        self.requests = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def _handler(self):
        loki = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/otlp/v1/logs" or self.headers.get("Content-Type") != "application/x-protobuf":
                    self.send_response(400)
                    self.end_headers()
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportLogsServiceRequest.FromString(body)
                with loki._lock:
                    loki.requests += 1
                    for rl in request.resource_logs:
                        resource = {kv.key: plain_value(kv.value) for kv in rl.resource.attributes}
                        for sl in rl.scope_logs:
                            for record in sl.log_records:
                                loki.records.append(
                                    {
                                        "resource": resource,
                                        "scope": sl.scope.name,
                                        "body": record.body.string_value,
                                        "attributes": {kv.key: plain_value(kv.value) for kv in record.attributes},
                                    }
                                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> "FakeLoki":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def count(self) -> int:
        with self._lock:
            return len(self.records)
