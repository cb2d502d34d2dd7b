"""Cursor's Admin API: usage events as daily figures per developer and model, and the team's
members and cycle spend as current-state gauges.

Basic auth with the Admin key as the user name. Usage events are asked for at most 30 days per
request and paged; each event's `chargedCents` is what Cursor charges for it. Cursor keeps a
rolling window of events only, so the history lives in the exporter's day store. The API allows
20 requests a minute per team: a pacer spaces the requests so the quota is never exceeded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from prometheus_client.registry import Collector

from agent_analytics.exporter.api_client import ApiClient, Retries
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.vendors.figures import (
    DayFigure,
    ShapeError,
    add_up,
    day_spans,
    day_start,
    figure,
    utc_day,
)
from agent_analytics.exporter.vendors.pacer import Pacer
from agent_analytics.exporter.vendors.payload import items, number, text
from agent_analytics.vocabulary import series as s
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.series import VENDOR_COST, VENDOR_REQUESTS, VENDOR_TOKENS

NAME = AGENT = "cursor"
MAX_DAYS_PER_REQUEST = 30  # the API refuses a wider startDate..endDate
PAGE_SIZE = 500
MAX_PAGES = 10_000  # a guard against an answer that always says there is another page
# tokenUsage field -> the `type` label of agent_analytics_vendor_tokens
TOKEN_TYPES = {
    "inputTokens": "input",
    "outputTokens": "output",
    "cacheReadTokens": "cache_read",
    "cacheWriteTokens": "cache_creation",
}


@dataclass(frozen=True)
class TeamState:
    """What the last poll saw of the team, for the gauges."""

    active: int
    removed: int
    spend: tuple[tuple[str, str, float, float | None], ...]  # developer_id, team_id, spend USD, limit USD
    cycle_start: float | None  # unix seconds


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class CursorSource:
    name = NAME
    agent = AGENT

    def __init__(self, config, identities: IdentityMap, key: str, *, pacer: Pacer | None = None):
        self.identities = identities
        self.pacer = pacer or Pacer(config.requests_per_minute)
        self.api = ApiClient(
            config.api_url,
            auth=(key, ""),
            timeout=config.timeout_seconds,
            retries=Retries(config.max_retries, config.max_backoff_seconds),
        )
        # Every request waits its turn, retries included: an httpx request hook runs before each send.
        self.api.http.event_hooks = {"request": [lambda request: self.pacer.wait()]}
        self.team: TeamState | None = None

    def close(self) -> None:
        self.api.close()

    def _json(self, method: str, path: str, endpoint: str, body: dict | None = None) -> dict:
        return self.api.json(method, path, endpoint, **({} if body is None else {"json": body}))

    # --- daily figures --------------------------------------------------------------------------

    def fetch_days(self, first: date, last: date) -> dict[date, list[DayFigure]]:
        """Complete UTC days only (today is still growing); the team's state is refreshed too."""
        self.team = self.fetch_team()
        last = min(last, datetime.now(UTC).date() - timedelta(days=1))
        days: dict[date, list[DayFigure]] = {}
        for start, end in day_spans(first, last, MAX_DAYS_PER_REQUEST):
            per_day: dict[date, list[DayFigure]] = {
                start + timedelta(days=n): [] for n in range((end - start).days + 1)
            }
            for event in self.usage_events(start, end):
                day, figures = self.event_figures(event)
                if day in per_day:  # an API that counts its end bound in both spans must not count twice
                    per_day[day].extend(figures)
            days.update({day: add_up(figures) for day, figures in per_day.items()})
        return days

    def usage_events(self, first: date, last: date) -> Iterator[dict]:
        body = {
            "startDate": _epoch_ms(day_start(first)),
            "endDate": _epoch_ms(day_start(last + timedelta(days=1))) - 1,
            "pageSize": PAGE_SIZE,
        }
        for page in range(1, MAX_PAGES + 1):
            answer = self._json("POST", "/teams/filtered-usage-events", "filtered-usage-events", {**body, "page": page})
            yield from items(answer, "usageEvents", "filtered-usage-events")
            pagination = answer.get("pagination")
            if not isinstance(pagination, dict):
                raise ShapeError("filtered-usage-events: no `pagination` object")
            if not pagination.get("hasNextPage"):
                return

    def event_figures(self, event: dict) -> tuple[date, list[DayFigure]]:
        """The UTC day of one usage event and its cost, request and token figures."""
        day = utc_day(number(event.get("timestamp"), "usage event timestamp") / 1000)
        developer_id, team_id = self.identities.resolve(text(event.get("userEmail"), "usage event userEmail"))
        labels = {
            "source": NAME,
            "agent": AGENT,
            "developer_id": developer_id,
            "team_id": team_id,
            "model": normalise_model(text(event.get("model"), "usage event model")),
        }
        cents = number(event.get("chargedCents"), "usage event chargedCents", default=0.0)
        figures = [figure(VENDOR_COST, cents / 100, **labels), figure(VENDOR_REQUESTS, 1, **labels)]
        usage = event.get("tokenUsage")
        if usage is not None:  # absent on calls that are not token-based
            if not isinstance(usage, dict):
                raise ShapeError("usage event tokenUsage is not an object")
            for field, kind in TOKEN_TYPES.items():
                count = number(usage.get(field), f"tokenUsage.{field}", default=0.0)
                figures.append(figure(VENDOR_TOKENS, count, **labels, type=kind))
        return day, figures

    # --- current state --------------------------------------------------------------------------

    def fetch_team(self) -> TeamState:
        members = items(self._json("GET", "/teams/members", "members"), "teamMembers", "members")
        removed = {text(m.get("email"), "member email").lower() for m in members if m.get("isRemoved")}
        everyone = {text(m.get("email"), "member email").lower() for m in members}
        spend: dict[tuple[str, str], tuple[float, float | None]] = {}  # two e-mails may map to one developer
        cycle_start = None
        for page in range(1, MAX_PAGES + 1):
            answer = self._json("POST", "/teams/spend", "spend", {"page": page, "pageSize": PAGE_SIZE})
            for entry in items(answer, "teamMemberSpend", "spend"):
                email = text(entry.get("email"), "spend email").lower()
                if email not in everyone:  # gauges name team members only
                    continue
                developer_id, team_id = self.identities.resolve(email)
                usd = number(entry.get("spendCents"), "spendCents", default=0.0) / 100
                limit = monthly_limit(entry)
                seen_usd, seen_limit = spend.get((developer_id, team_id), (0.0, None))
                if seen_limit is not None:
                    limit = seen_limit if limit is None else max(limit, seen_limit)
                spend[(developer_id, team_id)] = (seen_usd + usd, limit)
            if answer.get("subscriptionCycleStart") is not None:
                cycle_start = number(answer["subscriptionCycleStart"], "subscriptionCycleStart") / 1000
            if page >= number(answer.get("totalPages"), "spend totalPages", default=1.0):
                break
        rows = tuple((dev, team, usd, limit) for (dev, team), (usd, limit) in sorted(spend.items()))
        return TeamState(len(everyone - removed), len(removed), rows, cycle_start)

    def gauges(self) -> Collector:
        return CursorTeamExposition(self)


def monthly_limit(entry: dict) -> float | None:
    """A member's spending limit in USD: the hard override when set, else the monthly limit."""
    override = number(entry.get("hardLimitOverrideDollars"), "hardLimitOverrideDollars", default=0.0)
    if override > 0:
        return override
    limit = entry.get("monthlyLimitDollars")
    return None if limit is None else number(limit, "monthlyLimitDollars")


class CursorTeamExposition(Collector):
    """The team's members and cycle spend as of the last successful poll."""

    def __init__(self, source: CursorSource):
        self.source = source

    def collect(self) -> Iterator:
        team = self.source.team
        if team is None:
            return
        members = s.CURSOR_MEMBERS.family()
        members.add_metric(["active"], team.active)
        members.add_metric(["removed"], team.removed)
        yield members
        spend, limit = s.CURSOR_CYCLE_SPEND.family(), s.CURSOR_MONTHLY_LIMIT.family()
        for developer_id, team_id, usd, limit_usd in team.spend:
            spend.add_metric([developer_id, team_id], usd)
            if limit_usd is not None:
                limit.add_metric([developer_id, team_id], limit_usd)
        yield spend
        yield limit
        if team.cycle_start is not None:
            yield s.CURSOR_CYCLE_START.family(value=team.cycle_start)
