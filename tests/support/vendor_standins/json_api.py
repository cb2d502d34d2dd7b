"""The socket side of a vendor stand-in: a threaded HTTP server that checks the credential,
records every request, answers scripted failures first and otherwise asks the stand-in's
`answer(method, path, query, body)` for a JSON reply."""

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
    body: object = None  # dict/list -> JSON, str -> as is
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: object  # the JSON body, or None
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival


class JsonApi:
    """Subclasses define `authorised(headers)` and `answer(method, path, query, body) -> Reply`."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Recorded] = []
        self._failures: dict[str, list[Reply]] = {}
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def fail(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with `replies`, one each, before the normal answers."""
        with self.lock:
            self._failures.setdefault(path, []).extend(replies)

    def calls(self, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def authorised(self, headers: dict[str, str]) -> bool:
        raise NotImplementedError

    def unauthorised(self) -> Reply:
        return Reply(401, {"error": {"message": "Invalid credentials"}})

    def answer(self, method: str, path: str, query: dict[str, list[str]], body: object) -> Reply:
        raise NotImplementedError

    def _handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> Reply:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query)
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            return Reply(400, {"error": "body is not JSON"})
        with self.lock:
            self.requests.append(Recorded(method, parts.path, query, body, headers, time.monotonic()))
            if not self.authorised(headers):
                return self.unauthorised()
            failures = self._failures.get(parts.path)
            if failures:
                return failures.pop(0)
        return self.answer(method, parts.path, query, body)

    def start(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = api._handle(method, self.path, headers, self.rfile.read(length))
                if isinstance(reply.body, str):
                    body, ctype = reply.body.encode(), "text/plain"
                else:
                    body, ctype = json.dumps(reply.body).encode(), "application/json"
                self.send_response(reply.status)
                for k, v in {"Content-Type": ctype, **reply.headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
