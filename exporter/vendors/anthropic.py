"""Claude Code Analytics (Anthropic Admin API): per developer and model, one UTC day per call.

`GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD&limit=N&page=CURSOR`
answers `{data: [...], has_more, next_page}`, one record per actor and day; `estimated_cost.amount`
is in US cents. It holds data older than about an hour, so a day is asked for once its end is
that far behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import Any

from agent_analytics.exporter.api_client import ApiClient, Retries
from agent_analytics.exporter.config import AnthropicConfig
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.vendors.figures import DayFigure, ShapeError, add_up, figure
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.series import (
    VENDOR_COMMITS,
    VENDOR_COST,
    VENDOR_EDIT_DECISIONS,
    VENDOR_LINES,
    VENDOR_PULL_REQUESTS,
    VENDOR_SESSIONS,
    VENDOR_TOKENS,
)

API_VERSION = "2023-06-01"
ENDPOINT = "usage_report/claude_code"
PATH = "/v1/organizations/usage_report/claude_code"
PAGE_LIMIT = 1000
DATA_DELAY_SECONDS = 3600  # the report holds data older than about an hour
TOKEN_TYPES = ("input", "output", "cache_read", "cache_creation")
EDIT_TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
DECISIONS = {"accepted": "accept", "rejected": "reject"}
AGENT = "claude-code"


def anthropic_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": API_VERSION}


def client_for(config, key: str) -> ApiClient:
    """The transport of both Anthropic reports (the Admin key or the Enterprise analytics key)."""
    return ApiClient(
        config.api_url,
        headers=anthropic_headers(key),
        timeout=config.timeout_seconds,
        retries=Retries(config.max_retries, config.max_backoff_seconds),
    )


def day_end(day: date) -> float:
    return datetime.combine(day + timedelta(days=1), day_time(0), UTC).timestamp()


def actor_identity(actor: Any, identities: IdentityMap, what: str) -> tuple[str, str]:
    """(developer_id, team_id) of a report's actor: a person by e-mail, an API key by its name."""
    if not isinstance(actor, dict):
        raise ShapeError(f"{what}: actor is not an object")
    email = actor.get("email_address") or actor.get("email")
    if isinstance(email, str) and email:
        return identities.resolve(email)
    name = actor.get("api_key_name")
    if isinstance(name, str) and name:
        return f"api-key:{name}", identities.identities.default_team_id
    raise ShapeError(f"{what}: actor has neither an e-mail address nor an API key name")


def number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ShapeError(f"{what}: expected a number, got {type(value).__name__}")
    return float(value)


def section(record: dict, key: str, what: str) -> dict:
    value = record.get(key) or {}
    if not isinstance(value, dict):
        raise ShapeError(f"{what}: {key} is not an object")
    return value


class AnthropicSource:
    name = "anthropic"
    agent = AGENT
    days_per_fetch = 1  # the report answers one day per request

    def __init__(
        self,
        config: AnthropicConfig,
        identities: IdentityMap,
        key: str,
        subscription_cost_elsewhere: bool = False,
        page_limit: int = PAGE_LIMIT,
        now: Callable[[], float] = time.time,
    ):
        """`subscription_cost_elsewhere`: the Enterprise Analytics source is configured and
        carries the cost of subscription seats, so this source leaves their cost out."""
        self.identities = identities
        self.subscription_cost_elsewhere = subscription_cost_elsewhere
        self.page_limit = page_limit
        self._now = now
        self.client = client_for(config, key)

    def fetch_days(self, first: date, last: date) -> dict[date, list[DayFigure]]:
        out: dict[date, list[DayFigure]] = {}
        day = first
        while day <= last and day_end(day) + DATA_DELAY_SECONDS <= self._now():
            out[day] = add_up(f for record in self._records(day) for f in self.figures(record))
            day += timedelta(days=1)
        return out

    def _records(self, day: date) -> list[dict]:
        records: list[dict] = []
        params: dict[str, Any] = {"starting_at": day.isoformat(), "limit": self.page_limit}
        while True:
            body = self.client.json("GET", PATH, ENDPOINT, params=params)
            data = body.get("data")
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise ShapeError(f"{ENDPOINT}: data is not a list of records")
            records += [r for r in data if str(r.get("date", day.isoformat()))[:10] == day.isoformat()]
            if not body.get("has_more"):
                return records
            cursor = body.get("next_page")
            if not isinstance(cursor, str) or not cursor:
                raise ShapeError(f"{ENDPOINT}: has_more without next_page")
            params = {**params, "page": cursor}

    def figures(self, record: dict) -> list[DayFigure]:
        """The figures of one actor's day."""
        developer_id, team_id = actor_identity(record.get("actor"), self.identities, ENDPOINT)
        labels = {"source": self.name, "agent": self.agent, "developer_id": developer_id, "team_id": team_id}
        out: list[DayFigure] = []
        counted_cost = not (self.subscription_cost_elsewhere and record.get("customer_type") == "subscription")
        models = record.get("model_breakdown") or []
        if not isinstance(models, list):
            raise ShapeError(f"{ENDPOINT}: model_breakdown is not a list")
        for entry in models:
            if not isinstance(entry, dict) or not isinstance(entry.get("model"), str):
                raise ShapeError(f"{ENDPOINT}: model_breakdown entry without a model")
            model = normalise_model(entry["model"])
            tokens = section(entry, "tokens", ENDPOINT)
            for kind in TOKEN_TYPES:
                if kind in tokens:
                    out.append(
                        figure(VENDOR_TOKENS, number(tokens[kind], f"tokens.{kind}"), **labels, model=model, type=kind)
                    )
            cost = section(entry, "estimated_cost", ENDPOINT)
            if counted_cost and "amount" in cost:
                out.append(
                    figure(VENDOR_COST, number(cost["amount"], "estimated_cost.amount") / 100.0, **labels, model=model)
                )
        core = section(record, "core_metrics", ENDPOINT)
        if "num_sessions" in core:
            out.append(figure(VENDOR_SESSIONS, number(core["num_sessions"], "num_sessions"), **labels))
        lines = section(core, "lines_of_code", ENDPOINT)
        for kind in ("added", "removed"):
            if kind in lines:
                out.append(figure(VENDOR_LINES, number(lines[kind], f"lines_of_code.{kind}"), **labels, type=kind))
        for key, name in (
            ("commits_by_claude_code", VENDOR_COMMITS),
            ("pull_requests_by_claude_code", VENDOR_PULL_REQUESTS),
        ):
            if key in core:
                out.append(figure(name, number(core[key], key), **labels))
        actions = section(record, "tool_actions", ENDPOINT)
        for tool in EDIT_TOOLS:
            counts = section(actions, tool, ENDPOINT)
            for field, decision in DECISIONS.items():
                if field in counts:
                    out.append(
                        figure(
                            VENDOR_EDIT_DECISIONS,
                            number(counts[field], f"{tool}.{field}"),
                            **labels,
                            tool=tool,
                            decision=decision,
                        )
                    )
        return [f for f in out if f.value]

    def gauges(self):
        return None

    def close(self) -> None:
        self.client.close()
