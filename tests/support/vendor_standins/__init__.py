"""Stand-ins for the vendors' organisation APIs, speaking their documented wire formats over a real socket.

`StandIn` is what every one of them builds on: the shared server (`HttpStandIn`: free port,
every request recorded) with the credential check of `authorised(headers)`, then scripted
failures (`fail(path, Reply(...), ...)`: 401, 429 with retry-after, 5xx, ...), then the
subclass' `answer(method, path, query, headers, body)` with the JSON body decoded.
"""

from __future__ import annotations

from ..http_standin import HttpStandIn, Reply, Request

__all__ = ["Reply", "Request", "StandIn"]


class StandIn(HttpStandIn):
    protocol = "HTTP/1.1"  # the vendors' APIs keep connections open; these stand-ins are never restarted

    def __init__(self):
        super().__init__()
        self._failures: dict[str, list[Reply]] = {}

    def fail(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with `replies`, one each, before answering normally."""
        with self.lock:
            self._failures.setdefault(path, []).extend(replies)

    def requests_to(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def authorised(self, headers: dict[str, str]) -> bool:
        """Whether the credential is right; an API whose key depends on the path checks in `answer`."""
        return True

    def unauthorised(self) -> Reply:
        return Reply(401, {"error": {"message": "Invalid credentials"}})

    def answer(self, method: str, path: str, query: dict[str, list[str]], headers: dict, body: object) -> Reply:
        raise NotImplementedError

    def respond(self, request: Request) -> Reply:
        try:
            body = request.json()
        except ValueError:
            return Reply(400, {"error": "body is not JSON"})
        if not self.authorised(request.headers):
            return self.unauthorised()
        with self.lock:
            queued = self._failures.get(request.path)
            scripted = queued.pop(0) if queued else None
        return scripted or self.answer(request.method, request.path, request.query, request.headers, body)
