"""A known history of every agent's spend, written into a real Prometheus at its own times:
telemetry counters (Claude Code cost, Gemini CLI and Codex tokens), vendor day samples at
exporter.vendors.day_sample_time (a revision included), and the price and spend_source gauges the
exporter exposes. `expected()` is the ground truth of any window, computed from the same data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from agent_analytics.exporter.vendors.figures import day_sample_time
from agent_analytics.vocabulary.series import SPEND_SOURCE, TOKEN_PRICE, VENDOR_COST
from agent_analytics.vocabulary.token_prices import priced_agents, token_type_prices
from tests.support.hourly_history import push_history

END = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())  # the reports' evaluation time
FIRST = END - 60 * 86400
HOUR = 3600
WINDOWS = {"7d": END - 7 * 86400, "30d": END - 30 * 86400, "mtd": int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())}
SONNET = "claude-sonnet-4-5"


def at(day: date, hour: int = 10) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp())


NOV18, NOV5, OCT25, OCT1 = date(2026, 11, 18), date(2026, 11, 5), date(2026, 10, 25), date(2026, 10, 1)


@dataclass
class History:
    # (labels, {unix second: increment}) of telemetry counters
    counters: list[tuple[dict, dict[int, float]]] = field(default_factory=list)
    # (labels incl. __name__, day, [values written: the first, then revisions' differences])
    days: list[tuple[dict, date, list[float]]] = field(default_factory=list)

    def series(
        self, spend_source: dict[str, str] | None = None, budgets: dict[str, float] | None = None
    ) -> list[tuple[dict, list[tuple[int, float]]]]:
        out = []
        for labels, increments in self.counters:
            value, samples = 0.0, []
            for t in range(FIRST, END + 1, HOUR):  # a sample every hour, as a scrape keeps them
                value += sum(v for s, v in increments.items() if t - HOUR < s <= t)
                samples.append((t * 1000, value))
            out.append((labels, samples))
        for labels, day, writes in self.days:
            for k, value in enumerate(writes):
                out.append((labels, [(day_sample_time(day, k) * 1000, value)]))
        gauge_times = range(END - 40 * 86400, END + 1, HOUR)
        for agent, spec in priced_agents().items():
            for model in spec.models:
                for token_type, price in (token_type_prices(agent, model) or {}).items():
                    labels = {"__name__": TOKEN_PRICE, "agent": agent, "model": model, spec.type_label: token_type}
                    out.append((labels, [(t * 1000, price) for t in gauge_times]))
        for team, usd in (budgets or {}).items():
            labels = {"__name__": "agent_analytics_budget_monthly_usd", "team_id": team}
            out.append((labels, [(t * 1000, usd) for t in gauge_times]))
        for agent, source in (spend_source or {}).items():
            labels = {"__name__": SPEND_SOURCE, "agent": agent, "source": source}
            out.append((labels, [(t * 1000, 1.0) for t in gauge_times]))
        # one sample series may appear several times (revisions): merge by labels
        merged: dict[tuple, list] = {}
        for labels, samples in out:
            merged.setdefault(tuple(sorted(labels.items())), []).extend(samples)
        return [(dict(k), sorted(v)) for k, v in merged.items()]

    def write(
        self, prometheus_url: str, spend_source: dict[str, str] | None = None, budgets: dict[str, float] | None = None
    ) -> None:
        push_history(prometheus_url, self.series(spend_source, budgets))


def person(developer: str, team: str) -> dict:
    return {"developer_id": developer, "team_id": team}


def vendor(source: str, agent: str, developer: str, team: str, model: str) -> dict:
    return {"__name__": VENDOR_COST, "source": source, "agent": agent, "model": model, **person(developer, team)}


# ana sends Claude Code telemetry and is in the Admin API; bob is in the Admin API only.
ANA_TELEMETRY = {at(NOV18): 2.0, at(NOV5): 3.0, at(OCT25): 5.0, at(OCT1): 7.0}
ANA_VENDOR = {NOV18: [2.5], NOV5: [3.0]}
BOB_VENDOR = {NOV18: [4.0, 0.5], NOV5: [1.0], OCT25: [8.0], OCT1: [100.0]}  # Nov 18 revised up by 0.5
CARA_CURSOR = {NOV18: [1.25], OCT25: [2.0]}
DAN_OPENAI = {NOV18: [0.75]}
# Gemini CLI and Codex telemetry: tokens by type on one day (the fixtures' types and meanings)
ERIN_GEMINI = {"input": 120_000, "cache": 40_000, "output": 9_000, "thought": 3_000, "tool": 800}
FAY_CODEX = {
    "input": 200_000,
    "cached_input": 150_000,
    "cache_write_input": 0,
    "output": 12_000,
    "reasoning_output": 4_000,
    "total": 212_000,
}
GEMINI_MODEL, CODEX_MODEL = "gemini-2.5-flash", "gpt-5-codex"


def history() -> History:
    h = History()
    h.counters.append(
        ({"__name__": "claude_code_cost_usage_USD_total", "model": SONNET, **person("ana", "platform")}, ANA_TELEMETRY)
    )
    for token_type, n in ERIN_GEMINI.items():
        labels = {"__name__": "gemini_cli_token_usage_total", "model": GEMINI_MODEL, "type": token_type}
        h.counters.append(({**labels, **person("erin", "search")}, {at(NOV18): n}))
    for token_type, n in FAY_CODEX.items():
        labels = {"__name__": "codex_turn_token_usage_sum", "model": CODEX_MODEL, "token_type": token_type}
        h.counters.append(({**labels, **person("fay", "search")}, {at(NOV5): n}))
    for who, team, days, source, agent, model in (
        ("ana", "platform", ANA_VENDOR, "anthropic", "claude-code", SONNET),
        ("bob", "platform", BOB_VENDOR, "anthropic", "claude-code", SONNET),
        ("cara", "search", CARA_CURSOR, "cursor", "cursor", "default"),
        ("dan", "search", DAN_OPENAI, "openai", "codex", CODEX_MODEL),
    ):
        for day, writes in days.items():
            h.days.append((vendor(source, agent, who, team, model), day, writes))
    return h


def gemini_usd() -> float:
    from agent_analytics.vocabulary.token_prices import unit_prices

    p = unit_prices("google", GEMINI_MODEL)
    g = ERIN_GEMINI
    return p.cost(g["input"] - g["cache"] + g["tool"], g["output"] + g["thought"], cache_read=g["cache"])


def codex_usd() -> float:
    from agent_analytics.vocabulary.token_prices import unit_prices

    p = unit_prices("openai", CODEX_MODEL)
    c = FAY_CODEX
    return p.cost(c["input"] - c["cached_input"], c["output"], cache_read=c["cached_input"])


def _days_in(days: dict[date, list[float]], start: int) -> float:
    return sum(sum(w) for d, w in days.items() if start < day_sample_time(d) <= END)


def _counter_in(increments: dict[int, float], start: int) -> float:
    return sum(v for t, v in increments.items() if start < t <= END)


def expected(window: str, spend_source: dict[str, str] | None = None) -> dict:
    """Ground truth of a window: spend per agent and per developer with one source each."""
    start = WINDOWS[window]
    mode = (spend_source or {}).get("claude-code", "auto")
    ana_t, ana_v = _counter_in(ANA_TELEMETRY, start), _days_in(ANA_VENDOR, start)
    bob_v = _days_in(BOB_VENDOR, start)
    claude = {
        "auto": {"ana": ana_t, "bob": bob_v},  # ana sends telemetry in every window
        "telemetry": {"ana": ana_t},
        "vendor_api": {"ana": ana_v, "bob": bob_v},
    }[mode]
    developers = {k: v for k, v in claude.items() if v}
    cursor = _days_in(CARA_CURSOR, start)
    codex_vendor = _days_in(DAN_OPENAI, start)
    gemini = gemini_usd() if start < at(NOV18) <= END else 0.0
    codex_telemetry = codex_usd() if start < at(NOV5) <= END else 0.0
    for who, usd in (("cara", cursor), ("dan", codex_vendor), ("erin", gemini), ("fay", codex_telemetry)):
        if usd:
            developers[who] = usd
    by_agent = {
        "claude-code": sum(claude.values()),
        "cursor": cursor,
        "codex": codex_vendor + codex_telemetry,
        "gemini-cli": gemini,
    }
    return {
        "by_agent": {k: v for k, v in by_agent.items() if v},
        "by_developer": developers,
        "total": sum(by_agent.values()),
        "reconciliation": {"ana": (ana_t, ana_v), "bob": (0.0, bob_v)},
    }
