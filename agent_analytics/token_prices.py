"""USD per token of a model, read from the maintained `genai-prices` table.

genai-prices counts input tokens including cache reads and writes and prices the cached part
at its own rate; `unit_prices` turns that into one price per kind of token, so that a count of
each kind times its price is the table's price of the usage. Tiered models (a higher rate above
a prompt size) get their first tier: aggregated counts cannot tell the size of each request.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

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
