"""A stand-in for GitHub's REST API (Copilot usage metrics and seats), over a real socket.

It speaks the documented wire shapes: report envelopes `{"download_links": [...], "report_day": ...}`
with the NDJSON files behind signed links on the same server, 204 while a report is not ready,
seat lists paginated with `Link` headers, and whatever failures a test scripts (403, 429 with
Retry-After, 5xx, ...). Every request is recorded, headers included, so a test can check what
the client sent (API version header, no token on download links).
"""

import json
from datetime import date

from .http_standin import HttpStandIn, Reply, Request

__all__ = ["FakeGitHub", "Reply", "Request"]


class FakeGitHub(HttpStandIn):
    json_type = "application/json; charset=utf-8"
    protocol = "HTTP/1.1"

    def __init__(self, token: str = "ghp_fake_token_for_tests"):
        super().__init__()
        self.token = token
        self._routes: dict[str, list[Reply]] = {}
        self._files: dict[str, bytes] = {}

    # --- scripting ------------------------------------------------------------------------------

    def route(self, path: str, *replies: Reply) -> None:
        """Answer GET `path` (with its query) with `replies` in turn; the last one repeats."""
        with self.lock:
            self._routes[path] = list(replies)

    def replies(self, path: str) -> list[Reply]:
        """What GET `path` answers next (a copy), e.g. to script failures before a scripted success."""
        with self.lock:
            return list(self._routes.get(path, []))

    def file(self, name: str, records: list[dict] | str) -> str:
        """Host an NDJSON file behind a "signed" link; returns the link."""
        text = records if isinstance(records, str) else "".join(json.dumps(r) + "\n" for r in records)
        with self.lock:
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

    def count(self, target_prefix: str) -> int:
        """How many requests went to a path with query starting with `target_prefix`."""
        with self.lock:
            return sum(1 for r in self.requests if r.target.startswith(target_prefix))

    # --- serving --------------------------------------------------------------------------------

    def respond(self, request: Request) -> Reply:
        with self.lock:
            if request.path in self._files:
                if "authorization" in request.headers:  # a signed link must not receive the token
                    return Reply(400, "Only one auth mechanism allowed")
                return Reply(200, self._files[request.path].decode(), {"Content-Type": "application/x-ndjson"})
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return Reply(401, {"message": "Bad credentials", "status": "401"})
            replies = self._routes.get(request.target)
            if not replies:
                return Reply(404, {"message": "Not Found", "status": "404"})
            return replies.pop(0) if len(replies) > 1 else replies[0]
