"""The socket side every stand-in server here shares.

`HttpStandIn` serves on a loopback port (a free one unless given) with a ThreadingHTTPServer,
records every request (method, path, query, headers, body, arrival time) and writes whatever
the subclass' `respond(request)` returns. It can be stopped and started again on the same port,
as a server that goes away and comes back. A stand-in bug answers 500 with the exception in
the body, so a test reads it instead of a dropped connection.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .net import free_port

NO_BODY = (204, 304)  # statuses HTTP forbids a body (and a Content-Length) on


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict/list -> JSON, str -> text, bytes -> as is, None -> empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path with query, as sent
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # time.monotonic() on arrival

    def json(self) -> object:
        """The body as JSON (None when empty); raises ValueError when it is not JSON."""
        return json.loads(self.body) if self.body else None


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request's body, whether sized by Content-Length or sent in chunks (as Node's HTTP client does)."""
    if "chunked" in handler.headers.get("transfer-encoding", "").lower():
        return _chunked(handler.rfile)
    length = int(handler.headers.get("content-length") or 0)
    return handler.rfile.read(length) if length else b""


def _chunked(stream) -> bytes:
    body = b""
    while size := int(stream.readline().split(b";")[0].strip() or b"0", 16):
        body += stream.read(size)
        stream.readline()  # the CRLF after each chunk
    while stream.readline().strip():  # trailers, up to the empty line
        pass
    return body


class HttpStandIn:
    json_type = "application/json"
    # HTTP/1.0 closes each connection, so a stopped server answers no kept-alive one; a stand-in
    # that is never restarted may keep connections open, as the real API does.
    protocol = "HTTP/1.0"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    def respond(self, request: Request) -> Reply:
        raise NotImplementedError

    def _encode(self, body: object) -> tuple[bytes, str | None]:
        if isinstance(body, dict | list):
            return json.dumps(body).encode(), self.json_type
        if isinstance(body, str):
            return body.encode(), "text/plain"
        if isinstance(body, bytes):
            return body, "application/octet-stream"
        return b"", None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        request = Request(
            method=handler.command,
            target=handler.path,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=read_body(handler),
            at=time.monotonic(),
        )
        with self.lock:
            self.requests.append(request)
        try:
            reply = self.respond(request)
        except Exception as e:
            reply = Reply(500, {"error": {"type": "stand_in_error", "message": repr(e)}})
        payload, ctype = self._encode(reply.body)
        handler.send_response(reply.status)
        for k, v in (({"Content-Type": ctype} if ctype else {}) | reply.headers).items():
            handler.send_header(k, v)
        if reply.status not in NO_BODY:
            handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if reply.status not in NO_BODY:
            handler.wfile.write(payload)

    def start(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = standin.protocol

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                standin._serve(self)

            def do_POST(self) -> None:  # noqa: N802
                standin._serve(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name=type(self).__name__).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
