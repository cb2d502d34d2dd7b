"""A minimal stand-in for the exporter's git-hook ingest API, on a real loopback socket.

Speaks the documented contract: `POST /api/v1/commits` with `{"commits": [...]}` answers 200
`{"accepted": N, "duplicates": M}` (deduplicated by (repo, sha)), 401 without the configured
bearer token, 413 past `max_bytes`, 422 for a malformed body; `GET /healthz` answers 200.
Used where the real exporter is not the subject (and by the hook benchmark when it is absent).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .net import free_port

REQUIRED = {"repo": str, "sha": str, "author_email": str, "committed_at": int, "lines_added": int}


class IngestServer:
    def __init__(self, token: str = "", max_bytes: int = 1_000_000, port: int | None = None):
        self.token = token
        self.max_bytes = max_bytes
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.commits: dict[tuple[str, str], dict] = {}
        self.requests = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> IngestServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/healthz":
                    self._answer(200, {"status": "ok"})
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if self.path.split("?", 1)[0] != "/api/v1/commits":
                    return self._answer(404, {"error": "not found"})
                if server.token and self.headers.get("Authorization") != f"Bearer {server.token}":
                    return self._answer(401, {"error": "missing or wrong bearer token"})
                if length > server.max_bytes:
                    return self._answer(413, {"error": f"body over {server.max_bytes} bytes"})
                try:
                    commits = json.loads(body)["commits"]
                    for c in commits:
                        for key, kind in REQUIRED.items():
                            if not isinstance(c[key], kind):
                                raise TypeError(f"{key} must be {kind.__name__}")
                except (ValueError, KeyError, TypeError) as e:
                    return self._answer(422, {"error": f"invalid body: {e}"})
                accepted = duplicates = 0
                with server._lock:
                    server.requests += 1
                    for c in commits:
                        key = (c["repo"], c["sha"])
                        if key in server.commits:
                            duplicates += 1
                        else:
                            server.commits[key] = c
                            accepted += 1
                self._answer(200, {"accepted": accepted, "duplicates": duplicates})

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> IngestServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
