"""Claude Enterprise Analytics: the cost of each seat user's Claude Code use, per model and day.

`GET /v1/organizations/analytics/user_cost_report` with `starting_at`/`ending_at` (RFC 3339,
ending exclusive, at most 31 days), `bucket_width=1d`, `products[]=claude_code`,
`group_by[]=model`; cursor paging like the Admin API. Amounts are decimal strings in US cents.
Anthropic revises these figures for up to 30 days, so the source's refetch window is 31 days.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from agent_analytics.exporter.config import AnthropicEnterpriseConfig
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.vendors.anthropic import AGENT, actor_identity, client_for, day_end
from agent_analytics.exporter.vendors.figures import DayFigure, ShapeError, add_up, day_spans, figure
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.series import VENDOR_COST, VENDOR_REQUESTS

ENDPOINT = "analytics/user_cost_report"
PATH = "/v1/organizations/analytics/user_cost_report"
MAX_RANGE_DAYS = 31
PAGE_LIMIT = 1000


def rfc3339(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ShapeError(f"{ENDPOINT}: {what} is not a timestamp")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        raise ShapeError(f"{ENDPOINT}: {what} is not an RFC 3339 timestamp") from None


def cents(value: Any, what: str) -> float:
    """A decimal-string amount in cents, as US dollars."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ShapeError(f"{ENDPOINT}: {what} is missing or not a decimal amount")
    try:
        return float(Decimal(str(value)) / 100)
    except InvalidOperation:
        raise ShapeError(f"{ENDPOINT}: {what} is not a decimal amount") from None


class AnthropicEnterpriseSource:
    name = "anthropic_enterprise"
    agent = AGENT

    def __init__(
        self,
        config: AnthropicEnterpriseConfig,
        identities: IdentityMap,
        key: str,
        page_limit: int = PAGE_LIMIT,
        now: Callable[[], float] = time.time,
    ):
        self.identities = identities
        self.page_limit = page_limit
        self._now = now
        self.client = client_for(config, key)

    def fetch_days(self, first: date, last: date) -> dict[date, list[DayFigure]]:
        out: dict[date, list[DayFigure]] = {}
        for start, end in day_spans(first, last, MAX_RANGE_DAYS):
            out.update(self._range(start, end))
        return out

    def _range(self, first: date, last: date) -> dict[date, list[DayFigure]]:
        rows, refreshed = self._rows(first, last)
        # a day is complete once the report's data reaches its end
        ready = refreshed.timestamp() if refreshed else self._now()
        figures: dict[date, list[DayFigure]] = {}
        day = first
        while day <= last and day_end(day) <= ready:
            figures[day] = []
            day += timedelta(days=1)
        for row in rows:
            day = parse_time(row.get("starting_at"), "starting_at").date()
            if day in figures:
                figures[day] += self.figures(row)
        return {d: add_up(f) for d, f in figures.items()}

    def _rows(self, first: date, last: date) -> tuple[list[dict], datetime | None]:
        params: dict[str, Any] = {
            "starting_at": rfc3339(first),
            "ending_at": rfc3339(last + timedelta(days=1)),
            "bucket_width": "1d",
            "products[]": "claude_code",
            "group_by[]": "model",
            "limit": self.page_limit,
        }
        rows: list[dict] = []
        refreshed: datetime | None = None
        while True:
            body = self.client.json("GET", PATH, ENDPOINT, params=params)
            data = body.get("data")
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise ShapeError(f"{ENDPOINT}: data is not a list of rows")
            rows += data
            if body.get("data_refreshed_at") is not None:
                at = parse_time(body["data_refreshed_at"], "data_refreshed_at")
                refreshed = at if refreshed is None else min(refreshed, at)
            if not body.get("has_more"):
                return rows, refreshed
            cursor = body.get("next_page")
            if not isinstance(cursor, str) or not cursor:
                raise ShapeError(f"{ENDPOINT}: has_more without next_page")
            params = {**params, "page": cursor}

    def figures(self, row: dict) -> list[DayFigure]:
        if row.get("product", "claude_code") != "claude_code":
            return []
        developer_id, team_id = actor_identity(row.get("actor"), self.identities, ENDPOINT)
        model = row.get("model")
        if not isinstance(model, str) or not model:
            raise ShapeError(f"{ENDPOINT}: row without a model")
        if row.get("currency", "USD") != "USD":
            raise ShapeError(f"{ENDPOINT}: amounts in {row.get('currency')!r}, not USD")
        labels = {
            "source": self.name,
            "agent": self.agent,
            "developer_id": developer_id,
            "team_id": team_id,
            "model": normalise_model(model),
        }
        out = [figure(VENDOR_COST, cents(row.get("amount"), "amount"), **labels)]
        requests = row.get("requests")
        if isinstance(requests, int | float) and not isinstance(requests, bool):
            out.append(figure(VENDOR_REQUESTS, requests, **labels))
        return [f for f in out if f.value]

    def gauges(self):
        return None

    def close(self) -> None:
        self.client.close()
