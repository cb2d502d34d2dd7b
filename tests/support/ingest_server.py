"""A minimal stand-in for the exporter's git-hook ingest API, on a real loopback socket.

Speaks the documented contract: `POST /api/v1/commits` with `{"commits": [...]}` answers 200
`{"accepted": N, "duplicates": M}` (deduplicated by (repo, sha)), 401 without the configured
bearer token, 413 past `max_bytes`, 422 for a malformed body; `GET /healthz` answers 200.
Used where the real exporter is not the subject (and by the hook benchmark when it is absent).
"""

from __future__ import annotations

import json

from .http_standin import HttpStandIn, Reply, Request

REQUIRED = {"repo": str, "sha": str, "author_email": str, "committed_at": int, "lines_added": int}


class IngestServer(HttpStandIn):
    def __init__(self, token: str = "", max_bytes: int = 1_000_000, port: int | None = None):
        super().__init__(port)
        self.token = token
        self.max_bytes = max_bytes
        self.commits: dict[tuple[str, str], dict] = {}

    def respond(self, request: Request) -> Reply:
        if request.method == "GET":
            return Reply(200, {"status": "ok"}) if request.path == "/healthz" else Reply(404, {"error": "not found"})
        if request.path != "/api/v1/commits":
            return Reply(404, {"error": "not found"})
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": "missing or wrong bearer token"})
        if len(request.body) > self.max_bytes:
            return Reply(413, {"error": f"body over {self.max_bytes} bytes"})
        try:
            commits = json.loads(request.body)["commits"]
            for c in commits:
                for key, kind in REQUIRED.items():
                    if not isinstance(c[key], kind):
                        raise TypeError(f"{key} must be {kind.__name__}")
        except (ValueError, KeyError, TypeError) as e:
            return Reply(422, {"error": f"invalid body: {e}"})
        accepted = duplicates = 0
        with self.lock:
            for c in commits:
                key = (c["repo"], c["sha"])
                if key in self.commits:
                    duplicates += 1
                else:
                    self.commits[key] = c
                    accepted += 1
        return Reply(200, {"accepted": accepted, "duplicates": duplicates})
