"""USD price of model usage, from the maintained `genai-prices` table.

Anthropic counts `input_tokens` without the cached part; genai-prices counts input including
cache reads and writes, so the cached tokens are added in before pricing. Cache writes of the
1-hour lifetime are priced at their own rate (twice the input rate, against 1.25 times for the
5-minute lifetime).
"""

from datetime import datetime
from functools import lru_cache

from genai_prices import Usage, calc_price


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
