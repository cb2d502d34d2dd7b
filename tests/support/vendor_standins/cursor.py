"""A stand-in for Cursor's Admin API (members, cycle spend, filtered usage events) over a real socket.

Basic auth with the key as user name; usage events between `startDate` and `endDate` (epoch ms,
both included, at most 30 days apart, else 400), newest first, in pages no larger than
`max_page_size` whatever the client asks; spend in pages likewise.
"""

import base64
import math

from . import Reply, StandIn

THIRTY_DAYS_MS = 30 * 86_400_000


class FakeCursor(StandIn):
    def __init__(self, key: str, max_page_size: int = 100):
        super().__init__()
        self.key = key
        self.max_page_size = max_page_size
        self.members: list[dict] = []
        self.spend: list[dict] = []
        self.cycle_start_ms = 0
        self.events: list[dict] = []

    def authorised(self, headers: dict[str, str]) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.key}:".encode()).decode()
        return headers.get("authorization") == expected

    def _page(self, rows: list, body: dict) -> tuple[list, int, int]:
        page, size = int(body.get("page", 1)), min(int(body.get("pageSize", 100)), self.max_page_size)
        pages = max(1, math.ceil(len(rows) / size))
        return rows[(page - 1) * size : page * size], page, pages

    def answer(self, method, path, query, headers, body) -> Reply:
        if (method, path) == ("GET", "/teams/members"):
            return Reply(200, {"teamMembers": self.members})
        if (method, path) == ("POST", "/teams/spend"):
            rows, _, pages = self._page(self.spend, body or {})
            return Reply(
                200,
                {
                    "teamMemberSpend": rows,
                    "subscriptionCycleStart": self.cycle_start_ms,
                    "totalMembers": len(self.spend),
                    "totalPages": pages,
                },
            )
        if (method, path) == ("POST", "/teams/filtered-usage-events"):
            return self._usage(body or {})
        return Reply(404, {"error": "Not found"})

    def _usage(self, body: dict) -> Reply:
        start, end = body.get("startDate"), body.get("endDate")
        if not isinstance(start, int) or not isinstance(end, int) or end < start:
            return Reply(400, {"error": "startDate and endDate must be epoch milliseconds"})
        if end - start > THIRTY_DAYS_MS:
            return Reply(400, {"error": "Date range cannot exceed 30 days"})
        chosen = [e for e in self.events if start <= int(e["timestamp"]) <= end]
        chosen.sort(key=lambda e: int(e["timestamp"]), reverse=True)
        rows, page, pages = self._page(chosen, body)
        return Reply(
            200,
            {
                "totalUsageEventsCount": len(chosen),
                "usageEvents": rows,
                "pagination": {
                    "numPages": pages,
                    "currentPage": page,
                    "pageSize": min(int(body.get("pageSize", 100)), self.max_page_size),
                    "hasNextPage": page < pages,
                },
                "period": {"startDate": start, "endDate": end},
            },
        )
