"""USD per token of a model, read from the maintained `genai-prices` table.

genai-prices counts input tokens including cache reads and writes and prices the cached part
at its own rate; `unit_prices` turns that into one price per kind of token, so that a count of
each kind times its price is the table's price of the usage. Tiered models (a higher rate above
a prompt size) get their first tier: aggregated counts cannot tell the size of each request.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from genai_prices import Usage, calc_price

PROBE_TOKENS = 1000  # small enough to stay in a model's first price tier


@dataclass(frozen=True)
class UnitPrices:
    model: str  # the table's id of the model (genai-prices matches names like gpt-5-codex to gpt-5)
    input: float  # USD per input token that is not a cache read or write
    cache_read: float
    cache_write: float
    output: float

    def cost(self, input_tokens: float, output_tokens: float, cache_read: float = 0, cache_write: float = 0) -> float:
        """USD for `input_tokens` (excluding cached ones), `output_tokens` and the cached ones."""
        return (
            input_tokens * self.input
            + output_tokens * self.output
            + cache_read * self.cache_read
            + cache_write * self.cache_write
        )


def _price(usage: Usage, model: str, provider_id: str, at: datetime | None):
    return calc_price(usage, model, provider_id=provider_id, genai_request_timestamp=at)


@lru_cache(maxsize=1024)
def unit_prices(provider_id: str, model: str, at: datetime | None = None) -> UnitPrices | None:
    """Per-token prices of `model` at `provider_id` (anthropic, google, openai, ...), or None
    when the table does not know the model."""
    n = PROBE_TOKENS
    try:
        plain = _price(Usage(input_tokens=n), model, provider_id, at)
    except LookupError:
        return None

    def per_token(**usage: int) -> float:
        return float(_price(Usage(**usage), model, provider_id, at).total_price) / n

    return UnitPrices(
        model=plain.model.id,
        input=float(plain.total_price) / n,
        cache_read=per_token(input_tokens=n, cache_read_tokens=n),
        cache_write=per_token(input_tokens=n, cache_write_tokens=n),
        output=per_token(output_tokens=n),
    )


# --- agents whose telemetry has tokens but no cost ------------------------------------------------

PRICED_TOKENS_FILE = Path(__file__).with_name("priced_tokens.yaml")
KINDS = ("input", "cache_read", "cache_write", "output")


@dataclass(frozen=True)
class PricedAgent:
    agent: str
    provider: str  # genai-prices provider id
    series: str  # the agent's token counter in Prometheus
    type_label: str  # its label naming the token type
    types: dict[str, tuple[str, ...]]  # token type -> price kinds ("-kind" subtracts)
    models: tuple[str, ...]  # priced even before any telemetry names them


@lru_cache(maxsize=1)
def priced_agents() -> dict[str, PricedAgent]:
    doc = yaml.safe_load(PRICED_TOKENS_FILE.read_text())
    agents = {}
    for agent, spec in doc.items():
        types = {name: tuple(kinds) for name, kinds in spec["types"].items()}
        for kinds in types.values():
            unknown = {k.lstrip("-") for k in kinds} - set(KINDS)
            if unknown:
                raise ValueError(f"{PRICED_TOKENS_FILE.name}: {agent}: unknown price kinds {sorted(unknown)}")
        agents[agent] = PricedAgent(
            agent, spec["provider"], spec["series"], spec["type_label"], types, tuple(spec.get("models", ()))
        )
    return agents


def token_type_prices(agent: str, model: str) -> dict[str, float] | None:
    """USD per token of each of `agent`'s token types for `model`, or None when the table does
    not know the model. Tokens of every type times these prices, added up, are the table's price."""
    spec = priced_agents()[agent]
    prices = unit_prices(spec.provider, model)
    if prices is None:
        return None
    out = {}
    for token_type, kinds in spec.types.items():
        price = 0.0
        for kind in kinds:
            sign, name = (-1, kind[1:]) if kind.startswith("-") else (1, kind)
            price += sign * getattr(prices, name)
        out[token_type] = price
    return out


# --- one Anthropic API call (transcripts and demo data) --------------------------------------------
# Anthropic counts `input_tokens` without the cached part; genai-prices counts input including
# cache reads and writes, so the cached tokens are added in before pricing. Cache writes of the
# 1-hour lifetime are priced at their own rate (twice the input rate, against 1.25 times for the
# 5-minute lifetime).


class UnknownModel(LookupError):
    pass


@lru_cache(maxsize=256)
def _known(model: str) -> bool:
    try:
        calc_price(Usage(input_tokens=1), model, provider_id="anthropic")
    except LookupError:
        return False
    return True


def claude_cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    at: datetime | None = None,
    cache_write_1h_tokens: int = 0,
) -> float:
    """Price of one Anthropic API call in USD; raises UnknownModel for a model not in the table.

    `cache_write_tokens` counts every cache write; `cache_write_1h_tokens` the part written with
    the 1-hour lifetime, which costs more than the 5-minute one.
    """
    if not _known(model):
        raise UnknownModel(model)
    usage = Usage(
        input_tokens=input_tokens + cache_read_tokens + cache_write_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
    )
    if cache_write_1h_tokens:
        usage.cache_write_1h_tokens = min(cache_write_1h_tokens, cache_write_tokens)
    return float(calc_price(usage, model, provider_id="anthropic", genai_request_timestamp=at).total_price)
