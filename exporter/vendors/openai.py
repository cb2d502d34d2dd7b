"""OpenAI's organization usage and costs (API-key billing, e.g. Codex run with an API key) as daily
figures per developer and model, for the configured projects only.

The usage report gives tokens and requests per day, user, model and project, but no money; the
costs report gives dollars per project, but no user. So a developer's cost is their tokens priced
with the genai-prices table, and the billed total of each project is kept beside it (series
agent_analytics_vendor_billed_usd) to reconcile the two, never added to anyone's spend.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from agent_analytics.exporter.api_client import ApiClient, Retries
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.vendors.figures import DayFigure, ShapeError, add_up, day_start, figure, utc_day
from agent_analytics.exporter.vendors.payload import items, number, text
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.series import VENDOR_BILLED, VENDOR_COST, VENDOR_REQUESTS, VENDOR_TOKENS
from agent_analytics.vocabulary.token_prices import unit_prices

NAME = "openai"
PROVIDER = "openai"  # genai-prices' provider id
USAGE_GROUPS = ("user_id", "model", "project_id", "api_key_id")
DAY_BUCKETS_PER_PAGE = 31  # the most the API gives per page with bucket_width=1d
USERS_PER_PAGE = 100
MAX_PAGES = 10_000  # a guard against an answer that always says there is more


class OpenAISource:
    name = NAME

    def __init__(self, config, identities: IdentityMap, key: str):
        self.agent = config.agent
        self.projects = frozenset(config.projects)  # empty: every project counts
        self.identities = identities
        self.api = ApiClient(
            config.api_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=config.timeout_seconds,
            retries=Retries(config.max_retries, config.max_backoff_seconds),
        )

    def close(self) -> None:
        self.api.close()

    def gauges(self) -> None:
        return None

    def _counts(self, project_id: object) -> bool:
        return not self.projects or project_id in self.projects

    # --- paging ---------------------------------------------------------------------------------

    def _buckets(self, path: str, endpoint: str, first: date, last: date, group_by: tuple[str, ...]) -> Iterator[dict]:
        """The day buckets of a report from `first` to `last`, page after page."""
        params: dict[str, object] = {
            "start_time": int(day_start(first).timestamp()),
            "end_time": int(day_start(last + timedelta(days=1)).timestamp()),
            "bucket_width": "1d",
            "group_by[]": list(group_by),
            "limit": DAY_BUCKETS_PER_PAGE,
        }
        if self.projects:
            params["project_ids[]"] = sorted(self.projects)
        for _ in range(MAX_PAGES):
            answer = self.api.json("GET", path, endpoint, params=params)
            yield from items(answer, "data", endpoint)
            if not answer.get("has_more"):
                return
            params = {**params, "page": text(answer.get("next_page"), f"{endpoint} next_page")}

    def users(self) -> dict[str, str]:
        """user_id -> e-mail of every member of the organization."""
        emails: dict[str, str] = {}
        params: dict[str, object] = {"limit": USERS_PER_PAGE}
        for _ in range(MAX_PAGES):
            answer = self.api.json("GET", "/v1/organization/users", "users", params=params)
            for user in items(answer, "data", "users"):
                emails[text(user.get("id"), "user id")] = text(user.get("email"), "user email")
            if not answer.get("has_more"):
                break
            params = {**params, "after": text(answer.get("last_id"), "users last_id")}
        return emails

    # --- daily figures --------------------------------------------------------------------------

    def fetch_days(self, first: date, last: date) -> dict[date, list[DayFigure]]:
        """Complete UTC days only (today's buckets are still growing)."""
        last = min(last, datetime.now(UTC).date() - timedelta(days=1))
        if last < first:
            return {}
        emails = self.users()
        days: dict[date, list[DayFigure]] = {}
        for bucket in self._buckets("/v1/organization/usage/completions", "usage", first, last, USAGE_GROUPS):
            day = self._day(bucket, "usage")
            figures = days.setdefault(day, [])
            for row in items(bucket, "results", "usage bucket"):
                if self._counts(row.get("project_id")):
                    figures.extend(self.usage_figures(day, row, emails))
        for bucket in self._buckets("/v1/organization/costs", "costs", first, last, ("project_id",)):
            day = self._day(bucket, "costs")
            figures = days.setdefault(day, [])
            for row in items(bucket, "results", "costs bucket"):
                if self._counts(row.get("project_id")):
                    figures.append(self.billed_figure(row))
        return {day: add_up(figures) for day, figures in sorted(days.items()) if first <= day <= last}

    @staticmethod
    def _day(bucket: dict, endpoint: str) -> date:
        return utc_day(number(bucket.get("start_time"), f"{endpoint} bucket start_time"))

    def developer(self, row: dict, emails: dict[str, str]) -> tuple[str, str]:
        """A user's ids from their e-mail; usage without a known user is its API key's (or project's)."""
        email = emails.get(row.get("user_id") or "")
        if email:
            return self.identities.resolve(email)
        return self.identities.api_key(row.get("api_key_id") or row.get("project_id") or "unknown")

    def usage_figures(self, day: date, row: dict, emails: dict[str, str]) -> list[DayFigure]:
        developer_id, team_id = self.developer(row, emails)
        model = normalise_model(text(row.get("model"), "usage model"))
        labels = {"source": NAME, "agent": self.agent, "developer_id": developer_id, "team_id": team_id, "model": model}
        given = number(row.get("input_tokens"), "input_tokens", default=0.0)
        cached = number(row.get("input_cached_tokens"), "input_cached_tokens", default=0.0)
        output = number(row.get("output_tokens"), "output_tokens", default=0.0)
        if cached > given:
            raise ShapeError("usage: input_cached_tokens exceeds input_tokens")
        uncached = given - cached  # the API's input_tokens include the cached ones
        figures = [
            figure(VENDOR_TOKENS, uncached, **labels, type="input"),
            figure(VENDOR_TOKENS, cached, **labels, type="cache_read"),
            figure(VENDOR_TOKENS, output, **labels, type="output"),
            figure(VENDOR_REQUESTS, number(row.get("num_model_requests"), "num_model_requests", default=0.0), **labels),
        ]
        prices = unit_prices(PROVIDER, model, day_start(day))
        if prices is not None:  # a model the table does not know has tokens but no cost
            figures.append(figure(VENDOR_COST, prices.cost(uncached, output, cache_read=cached), **labels))
        return figures

    def billed_figure(self, row: dict) -> DayFigure:
        amount = row.get("amount")
        if not isinstance(amount, dict):
            raise ShapeError("costs: a result without an `amount` object")
        usd = number(amount.get("value"), "costs amount.value")  # dollars, not cents
        return figure(
            VENDOR_BILLED, usd, source=NAME, agent=self.agent, project_id=str(row.get("project_id") or "unknown")
        )
