"""When a Claude Code session began, from its events in Loki (`GET /loki/api/v1/query_range`).

The first `user_prompt` event of the session is its start: Loki's OTLP ingestion keeps
`service.name` as the stream label and the event's attributes as structured metadata
(`session.id` -> `session_id`, `event.name` -> `event_name`), and the entry's time is the
record's own time (Claude Code's `event.timestamp`).
"""

from __future__ import annotations

import re

import httpx

QUERY_PATH = "/loki/api/v1/query_range"
SERVICE = "claude-code"
FIRST_EVENT = "user_prompt"
SESSION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # what a session id is made of; nothing else reaches LogQL
LOOKBACK_SECONDS = 7 * 86400  # how far before a commit its session's first prompt is looked for
CLOCK_SKEW_SECONDS = 300  # a commit stamped by a clock a little behind the events' clock


class LokiUnavailable(RuntimeError):
    """Loki did not answer the query (unreachable, or an error status); the lookup is retried later."""


def first_prompt_query(session_id: str) -> str:
    if not SESSION_ID.match(session_id):
        raise ValueError("not a session id")
    return f'{{service_name="{SERVICE}"}} | session_id="{session_id}" | event_name="{FIRST_EVENT}"'


class SessionStarts:
    def __init__(self, loki_url: str, timeout: float = 5.0):
        self.url = loki_url.rstrip("/") + QUERY_PATH
        self.client = httpx.Client(timeout=timeout)

    def first_prompt_at(self, session_id: str, committed_at: float) -> float | None:
        """Unix seconds of the session's first prompt before the commit; None when Loki holds none."""
        try:
            query = first_prompt_query(session_id)
        except ValueError:
            return None
        params = {
            "query": query,
            "start": str(int((committed_at - LOOKBACK_SECONDS) * 1e9)),
            "end": str(int((committed_at + CLOCK_SKEW_SECONDS) * 1e9)),
            "direction": "forward",
            "limit": "1",
        }
        try:
            r = self.client.get(self.url, params=params)
        except httpx.HTTPError as e:
            raise LokiUnavailable(f"Loki unreachable ({type(e).__name__})") from None
        if r.status_code != 200:
            raise LokiUnavailable(f"Loki answered {r.status_code}")
        try:
            streams = r.json()["data"]["result"]
            stamps = [int(entry[0]) for stream in streams for entry in stream["values"]]
        except (ValueError, KeyError, TypeError, IndexError):
            raise LokiUnavailable("Loki's answer is not a streams result") from None
        return min(stamps) / 1e9 if stamps else None

    def close(self) -> None:
        self.client.close()
