"""The agents side by side (a row of AI spend & ROI): tokens, requests and usage spend of Claude
Code, Gemini CLI, Codex and the Copilot CLI, each from the series of that agent that counts once."""

from .builder import Row, bars, loki, prom, timeseries
from .figure_panels import bars_of
from .queries import (
    CODEX_REQUESTS,
    CODEX_TOKENS,
    COPILOT_INPUT,
    COPILOT_OUTPUT,
    COPILOT_REQUESTS,
    DASHBOARD,
    GEMINI_REQUESTS,
    GEMINI_TOKEN_USAGE,
    PEOPLE,
    PEOPLE_MODEL,
    STEP,
    TOKENS,
    events,
    per_interval,
    window,
)

# Tokens processed (input, cache included, plus output) per agent, each from its own units.
TOKENS_BY_AGENT = {
    "Claude Code": TOKENS,  # input, output, cacheRead, cacheCreation: disjoint
    "Gemini CLI": GEMINI_TOKEN_USAGE,  # input includes cache: it is left out below
    "Codex": CODEX_TOKENS,  # total = input (cached included) + output
    "Copilot CLI": None,  # input and output counters
}
TOKEN_FILTERS = {
    "Claude Code": PEOPLE_MODEL,
    "Gemini CLI": f'{PEOPLE_MODEL}, type=~"input|output|thought|tool"',
    "Codex": f'{PEOPLE_MODEL}, token_type="total"',
}
# the Copilot CLI names the model in gen_ai.request.model
COPILOT_FILTER = f'{PEOPLE}, gen_ai_request_model=~"$model"'

# Requests: each failed Gemini CLI request is counted twice in its metric, once with error_type
REQUESTS_BY_AGENT = {
    "Gemini CLI": window(GEMINI_REQUESTS, f'{PEOPLE_MODEL}, error_type=""'),
    "Codex": window(CODEX_REQUESTS, PEOPLE_MODEL),
    "Copilot CLI": window(COPILOT_REQUESTS, COPILOT_FILTER),
}


def token_targets(span_fn) -> list[dict]:
    out = []
    for agent, metric in TOKENS_BY_AGENT.items():
        if metric is None:
            expr = f"{span_fn(COPILOT_INPUT, COPILOT_FILTER)} + {span_fn(COPILOT_OUTPUT, COPILOT_FILTER)}"
        else:
            expr = span_fn(metric, TOKEN_FILTERS[agent])
        out.append(prom(expr, agent))
    return out


def row() -> Row:
    return Row(
        "Agents side by side",
        [
            bars("Tokens by agent (range)", token_targets(window), width=6),
            timeseries("Tokens by agent", token_targets(per_interval), stack=True, width=6, interval=STEP),
            bars("Model requests by agent (range)", [prom(e, a) for a, e in REQUESTS_BY_AGENT.items()], width=4),
            bars(
                "Claude Code API requests (range)",
                [loki(f"sum(count_over_time({events('api_request')} [$__range]))", "Claude Code", instant=True)],
                width=4,
                description="From the api_request events: Claude Code has no request metric.",
            ),
            bars_of("spend.usage_by_agent_usd", DASHBOARD, width=4),
        ],
    )
