"""A stand-in for GitHub's REST API (Copilot usage metrics and seats), over a real socket.

It speaks the documented wire shapes: report envelopes `{"download_links": [...], "report_day": ...}`
with the NDJSON files behind signed links on the same server, 204 while a report is not ready,
seat lists paginated with `Link` headers, and whatever failures a test scripts (403, 429 with
Retry-After, 5xx, ...). Every request is recorded, headers included, so a test can check what
the client sent (API version header, no token on download links).
"""

import json
import threading
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .net import free_port


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict/list -> JSON, str/bytes -> as is, None -> empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # path with query, as sent
    headers: dict[str, str]


class FakeGitHub:
    def __init__(self, token: str = "ghp_fake_token_for_tests"):
        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Recorded] = []
        self._routes: dict[str, list[Reply]] = {}
        self._files: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- scripting ------------------------------------------------------------------------------

    def route(self, path: str, *replies: Reply) -> None:
        """Answer GET `path` (with its query) with `replies` in turn; the last one repeats."""
        with self._lock:
            self._routes[path] = list(replies)

    def replies(self, path: str) -> list[Reply]:
        """What GET `path` answers next (a copy), e.g. to script failures before a scripted success."""
        with self._lock:
            return list(self._routes.get(path, []))

    def file(self, name: str, records: list[dict] | str) -> str:
        """Host an NDJSON file behind a "signed" link; returns the link."""
        text = records if isinstance(records, str) else "".join(json.dumps(r) + "\n" for r in records)
        with self._lock:
            self._files[f"/downloads/{name}"] = text.encode()
        return f"{self.url}/downloads/{name}?sig=signed-{name}"

    def report(
        self,
        scope_path: str,
        name: str,
        day: date | None,
        files: list[list[dict]] | None,
        report_day: str | None = None,
    ) -> None:
        """A usage report: `files` = NDJSON files (lists of records), None = 204 not ready yet."""
        path = f"{scope_path}/copilot/metrics/reports/{name}" + (f"?day={day.isoformat()}" if day else "/latest")
        if files is None:
            self.route(path, Reply(204))
            return
        stem = f"{scope_path.strip('/').replace('/', '-')}-{name}-{day or 'latest'}"
        links = [self.file(f"{stem}-{i}.ndjson", records) for i, records in enumerate(files)]
        self.route(path, Reply(200, {"download_links": links, "report_day": report_day or str(day)}))

    def seats(self, scope_path: str, seats: list[dict], page_size: int) -> None:
        """The seat list, split into pages linked by `Link: <...>; rel="next"` headers."""
        base = f"{scope_path}/copilot/billing/seats"
        pages = [seats[i : i + page_size] for i in range(0, len(seats), page_size)] or [[]]
        for n, page in enumerate(pages, 1):
            path = f"{base}?per_page=100" if n == 1 else f"{base}?per_page=100&page={n}"
            links = []
            if n < len(pages):
                links.append(f'<{self.url}{base}?per_page=100&page={n + 1}>; rel="next"')
                links.append(f'<{self.url}{base}?per_page=100&page={len(pages)}>; rel="last"')
            headers = {"Link": ", ".join(links)} if links else {}
            self.route(path, Reply(200, {"total_seats": len(seats), "seats": page}, headers))

    def count(self, path_prefix: str) -> int:
        return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    # --- serving --------------------------------------------------------------------------------

    def _answer(self, method: str, raw_path: str, headers: dict[str, str]) -> Reply:
        path = urlsplit(raw_path).path
        with self._lock:
            self.requests.append(Recorded(method, raw_path, headers))
            if path in self._files:
                if "authorization" in headers:  # a signed link must not receive the token
                    return Reply(400, "Only one auth mechanism allowed")
                return Reply(200, self._files[path].decode(), {"Content-Type": "application/x-ndjson"})
            if headers.get("authorization") != f"Bearer {self.token}":
                return Reply(401, {"message": "Bad credentials", "status": "401"})
            replies = self._routes.get(raw_path)
            if not replies:
                return Reply(404, {"message": "Not Found", "status": "404"})
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def start(self) -> "FakeGitHub":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                reply = fake._answer("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                if isinstance(reply.body, dict | list):
                    body, ctype = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
                elif isinstance(reply.body, str):
                    body, ctype = reply.body.encode(), "text/plain"
                else:
                    body, ctype = (reply.body or b""), "text/plain"
                self.send_response(reply.status)
                headers = {"Content-Type": ctype, **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                if reply.status != 204:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if reply.status != 204:
                    self.wfile.write(body)

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

    def __enter__(self) -> "FakeGitHub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
