"""Stand-ins for the vendors' organisation APIs, speaking their documented wire formats over a real socket.

`StandIn` is the server every stand-in builds on: a ThreadingHTTPServer on a free port that
records each request (method, path with query, headers, body, arrival time) and answers with
scripted failures first (`fail(path, Reply(...), ...)`: 401, 429 with retry-after, 5xx, ...),
then with the subclass' `answer(method, path, query, body)`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ..net import free_port


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict/list -> JSON, str/bytes -> as is, None -> empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # time.monotonic() on arrival


class StandIn:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Recorded] = []
        self.lock = threading.RLock()
        self._failures: dict[str, list[Reply]] = {}
        self._server: ThreadingHTTPServer | None = None

    # --- scripting ------------------------------------------------------------------------------

    def fail(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with `replies`, one each, before answering normally."""
        with self.lock:
            self._failures.setdefault(path, []).extend(replies)

    def requests_to(self, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict, body: bytes) -> Reply:
        raise NotImplementedError

    # --- serving --------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        split = urlsplit(handler.path)
        query = parse_qs(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            self.requests.append(Recorded(handler.command, split.path, query, headers, body, time.monotonic()))
            queued = self._failures.get(split.path)
            reply = queued.pop(0) if queued else None
        if reply is None:
            try:
                reply = self.answer(handler.command, split.path, query, headers, body)
            except Exception as e:  # a stand-in bug shows up as a 500 the test can read
                reply = Reply(500, {"error": {"type": "stand_in_error", "message": repr(e)}})
        if isinstance(reply.body, dict | list):
            payload, ctype = json.dumps(reply.body).encode(), "application/json"
        elif isinstance(reply.body, str):
            payload, ctype = reply.body.encode(), "text/plain"
        else:
            payload, ctype = reply.body or b"", "application/octet-stream"
        handler.send_response(reply.status)
        handler.send_header("content-type", ctype)
        handler.send_header("content-length", str(len(payload)))
        for k, v in reply.headers.items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(payload)

    def start(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                standin._handle(self)

            def do_POST(self):
                standin._handle(self)

            def log_message(self, *args):
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
