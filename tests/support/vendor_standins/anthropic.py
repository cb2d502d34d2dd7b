"""A stand-in for Anthropic's organisation reports: Claude Code Analytics (Admin API) and the
Claude Enterprise Analytics user cost report, over a real socket.

It serves what a test puts in `usage` (day -> records of the Claude Code usage report) and
`cost_rows` (rows of the user cost report), checks the key and the API version header, pages
with opaque cursors (`has_more`, `next_page`, sent back as `page`) at most `max_page` records at
a time, and refuses an Enterprise range over 31 days, as the real API does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from . import Reply, StandIn

USAGE_PATH = "/v1/organizations/usage_report/claude_code"
COST_PATH = "/v1/organizations/analytics/user_cost_report"
API_VERSION = "2023-06-01"


def error(status: int, kind: str, message: str) -> Reply:
    return Reply(status, {"type": "error", "error": {"type": kind, "message": message}})


def usage_record(
    day: date,
    actor: dict,
    models: dict[str, dict[str, float]],
    sessions: int = 1,
    lines: tuple[int, int] = (0, 0),
    commits: int = 0,
    pull_requests: int = 0,
    edits: dict[str, tuple[int, int]] | None = None,
    customer_type: str = "api",
) -> dict:
    """One record of the usage report; `models`: model -> {input, output, cache_read,
    cache_creation, cents}; `edits`: tool -> (accepted, rejected)."""
    return {
        "date": f"{day.isoformat()}T00:00:00Z",
        "actor": actor,
        "organization_id": "org-standin",
        "customer_type": customer_type,
        "terminal_type": "vscode",
        "core_metrics": {
            "num_sessions": sessions,
            "lines_of_code": {"added": lines[0], "removed": lines[1]},
            "commits_by_claude_code": commits,
            "pull_requests_by_claude_code": pull_requests,
        },
        "tool_actions": {tool: {"accepted": a, "rejected": r} for tool, (a, r) in (edits or {}).items()},
        "model_breakdown": [
            {
                "model": model,
                "tokens": {k: int(use.get(k, 0)) for k in ("input", "output", "cache_read", "cache_creation")},
                "estimated_cost": {"currency": "USD", "amount": use.get("cents", 0)},
            }
            for model, use in models.items()
        ],
    }


def user(email: str) -> dict:
    return {"type": "user_actor", "email_address": email}


def api_key(name: str) -> dict:
    return {"type": "api_actor", "api_key_name": name}


def cost_row(day: date, email: str, model: str, cents: str, requests: int = 1) -> dict:
    """One row of the user cost report (bucket_width=1d, group_by[]=model); `cents` a decimal string."""
    return {
        "actor": {"type": "user", "user_id": f"user_{email.split('@')[0]}", "email": email, "name": email},
        "amount": cents,
        "list_amount": cents,
        "currency": "USD",
        "requests": requests,
        "product": "claude_code",
        "model": model,
        "starting_at": f"{day.isoformat()}T00:00:00Z",
        "ending_at": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
    }


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class AnthropicStandIn(StandIn):
    def __init__(self, admin_key: str, analytics_key: str = "", max_page: int = 1000):
        super().__init__()
        self.admin_key = admin_key
        self.analytics_key = analytics_key
        self.max_page = max_page
        self.usage: dict[date, list[dict]] = {}
        self.cost_rows: list[dict] = []
        self.data_refreshed_at: datetime | None = None  # None: now

    def answer(self, method, path, query, headers, body) -> Reply:
        if method != "GET":
            return error(405, "invalid_request_error", "method not allowed")
        if headers.get("anthropic-version") != API_VERSION:
            return error(400, "invalid_request_error", "anthropic-version header is required")
        if path == USAGE_PATH:
            if not self.admin_key or headers.get("x-api-key") != self.admin_key:
                return error(401, "authentication_error", "invalid x-api-key")
            return self._usage(query)
        if path == COST_PATH:
            if not self.analytics_key or headers.get("x-api-key") != self.analytics_key:
                return error(401, "authentication_error", "invalid x-api-key")
            return self._cost(query)
        return error(404, "not_found_error", path)

    def _page(self, items: list[dict], query, prefix: str) -> tuple[list[dict], bool, str | None]:
        limit = min(int(query.get("limit", ["20"])[0]), self.max_page)
        page = query.get("page", [""])[0]
        offset = int(page.rsplit("-", 1)[1]) if page else 0
        chunk = items[offset : offset + limit]
        more = offset + limit < len(items)
        return chunk, more, f"{prefix}-{offset + limit}" if more else None

    def _usage(self, query) -> Reply:
        try:
            day = date.fromisoformat(query["starting_at"][0])
        except (KeyError, ValueError):
            return error(400, "invalid_request_error", "starting_at must be YYYY-MM-DD")
        with self.lock:
            records = list(self.usage.get(day, []))
        chunk, more, cursor = self._page(records, query, f"page_{day.isoformat()}")
        return Reply(200, {"data": chunk, "has_more": more, "next_page": cursor})

    def _cost(self, query) -> Reply:
        try:
            start, end = parse_time(query["starting_at"][0]), parse_time(query["ending_at"][0])
        except (KeyError, ValueError):
            return error(400, "invalid_request_error", "starting_at and ending_at must be RFC 3339 timestamps")
        if end - start > timedelta(days=31) or end <= start:
            return error(400, "invalid_request_error", "the range must be more than 0 and at most 31 days")
        if query.get("bucket_width") != ["1d"] or query.get("products[]") != ["claude_code"]:
            return error(400, "invalid_request_error", "this stand-in serves bucket_width=1d, products[]=claude_code")
        with self.lock:
            rows = [r for r in self.cost_rows if start <= parse_time(r["starting_at"]) < end]
            refreshed = self.data_refreshed_at or datetime.now(UTC)
        chunk, more, cursor = self._page(rows, query, "cost")
        return Reply(
            200,
            {
                "data": chunk,
                "has_more": more,
                "next_page": cursor,
                "data_refreshed_at": refreshed.isoformat().replace("+00:00", "Z"),
            },
        )
