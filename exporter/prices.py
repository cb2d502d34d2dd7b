"""Per-token prices of the agents whose telemetry has tokens but no cost (Gemini CLI, Codex):
agent_analytics_token_price_usd{agent, model, <the agent's token type label>}, from the
genai-prices table, so that PromQL turns their token counters into money with a plain join
(agent_analytics/vocabulary/spend.py): Gemini CLI names the type `type`, Codex `token_type`.

The models priced are those agent_analytics/vocabulary/priced_tokens.yaml lists plus every model the agents'
token series carry in Prometheus (`prometheus_url`), asked again every few minutes in the
background, so a scrape never waits on Prometheus.
"""

import logging
from collections.abc import Iterator

import httpx
from prometheus_client.registry import Collector

from agent_analytics.vocabulary.series import TOKEN_PRICE
from agent_analytics.vocabulary.token_prices import priced_agents, token_type_prices

REFRESH_SECONDS = 300.0
QUERY_TIMEOUT_SECONDS = 3.0

log = logging.getLogger(__name__)


class TokenPriceExposition(Collector):
    def __init__(self, prometheus_url: str | None):
        self.prometheus_url = prometheus_url
        self._seen: dict[str, set[str]] = {}

    def refresh(self) -> None:
        """Ask Prometheus which models the agents' token series carry; the last answer stays on a
        failure. Run by the exporter's background loop every REFRESH_SECONDS, never in a scrape."""
        if not self.prometheus_url:
            return
        seen = {}
        try:
            with httpx.Client(timeout=QUERY_TIMEOUT_SECONDS) as client:
                for agent, spec in priced_agents().items():
                    r = client.get(f"{self.prometheus_url}/api/v1/label/model/values", params={"match[]": spec.series})
                    r.raise_for_status()
                    seen[agent] = set(r.json()["data"])
        except (httpx.HTTPError, ValueError, KeyError) as e:
            log.warning("cannot ask Prometheus which models to price (%s); kept the last answer", type(e).__name__)
            return
        self._seen = seen

    def collect(self) -> Iterator:
        family = TOKEN_PRICE.family(labels=[])  # the type label differs per agent: samples name their labels
        seen = self._seen
        for agent, spec in sorted(priced_agents().items()):
            for model in sorted(set(spec.models) | seen.get(agent, set())):
                prices = token_type_prices(agent, model)
                for token_type, price in sorted((prices or {}).items()):
                    family.add_sample(TOKEN_PRICE, {"agent": agent, "model": model, spec.type_label: token_type}, price)
        yield family
