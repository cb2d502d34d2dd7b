"""The demo organisation's agents besides Claude Code telemetry: Gemini CLI and Codex telemetry,
and what the vendors' organisation APIs report (Anthropic Admin API, Cursor, OpenAI).

Who shows up where, so that every view has people to show:

* Gemini CLI and Codex telemetry: part of the onboarded developers, token counters by model.
  Their Codex runs on a ChatGPT plan, which no OpenAI report covers: priced from the table.
* Cursor Admin API: the developers whose other agent is Cursor.
* Anthropic Admin API: the first developer, who also sends Claude Code telemetry. The API sees
  that telemetry's usage plus, on some days, a session on a machine without `init`, so the
  reconciliation has a row with a difference.
* Two people never onboarded, known only to vendor APIs (rollout coverage): one uses Claude
  Code, the other Cursor and Codex with an API key (in the OpenAI report).

Vendor figures are day samples as the exporter writes them: one per series and UTC day at
`day_sample_time(day)`, once the day is over. Everything here draws from its own random
streams (per hour run, per day), so the Claude Code, git and Copilot history is the same with
or without it, and a day's vendor figures are the same whichever demo run writes them.
"""

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from agent_analytics.exporter.price_metrics import PRICE
from agent_analytics.exporter.vendors import (
    BILLED,
    COMMITS,
    COST,
    EDIT_DECISIONS,
    LINES,
    PULL_REQUESTS,
    REQUESTS,
    SESSIONS,
    TOKENS,
    DayFigure,
    add_up,
    day_sample_time,
    figure,
)
from agent_analytics.model_names import normalise_model
from agent_analytics.spend import SPEND_SOURCE, SPEND_SOURCE_AGENTS
from agent_analytics.token_prices import priced_agents, token_type_prices, unit_prices

from .demo_data import (
    CLAUDE_TOKENS_PER_REQUEST,
    COLLECTOR_JOB,
    DOMAIN,
    EXPORTER_JOB,
    MODELS,
    DemoHistory,
    Developer,
    draw_tokens,
    person_name,
    work_probability,
)
from .pricing import claude_cost_usd

DAY = 86400
GEMINI_TOKENS = "gemini_cli_token_usage_total"  # type: input (cache included), cache, output, thought
CODEX_TOKENS = "codex_turn_token_usage_sum"  # token_type: input (cached_input included), ..., total
GEMINI_MODELS = (("gemini-2.5-pro", 0.7), ("gemini-2.5-flash", 0.3))
CODEX_MODEL = "gpt-5-codex"
CODEX_PROJECT = "proj_codex"
PRICED_MODELS = {"gemini-cli": tuple(m for m, _ in GEMINI_MODELS), "codex": (CODEX_MODEL,)}
# Vendor reports name models with their release date; normalise_model gives the telemetry's name.
DATED = {
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-opus-4-5": "claude-opus-4-5-20251101",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
}
CURSOR_MODELS = (("claude-sonnet-4-5-20250929", "anthropic", 0.55), ("gpt-5", "openai", 0.3))
CURSOR_MODELS += (("claude-haiku-4-5-20251001", "anthropic", 0.15),)
CURSOR_TOKENS_PER_REQUEST = {
    "input": (500, 6_000),
    "output": (200, 2_000),
    "cache_read": (5_000, 40_000),
    "cache_creation": (0, 3_000),
}

# Claude Code telemetry -> the Admin API's figures of the same usage: series, label renames, value renames.
ADMIN_API_OF_TELEMETRY = {
    "claude_code_cost_usage_USD_total": (COST, ("model",)),
    "claude_code_token_usage_tokens_total": (TOKENS, ("model", "type")),
    "claude_code_session_count_total": (SESSIONS, ()),
    "claude_code_lines_of_code_count_total": (LINES, ("type",)),
    "claude_code_commit_count_total": (COMMITS, ()),
    "claude_code_pull_request_count_total": (PULL_REQUESTS, ()),
    "claude_code_code_edit_tool_decision_total": (EDIT_DECISIONS, ("tool_name", "decision")),
}
LABEL_NAMES = {"tool_name": "tool"}
VALUES = {
    "type": {"cacheRead": "cache_read", "cacheCreation": "cache_creation"},
    "tool_name": {"Edit": "edit_tool", "Write": "write_tool"},
}
SOURCES = {"anthropic": "claude-code", "cursor": "cursor", "openai": "codex"}  # the demo's vendor sources
MONTH_TO_DATE = "agent_analytics_vendor_month_to_date_usd"
MONTH_TO_DATE_LABELS = ("source", "agent", "developer_id", "team_id")


@dataclass(frozen=True)
class Cast:
    gemini: tuple[Developer, ...]  # Gemini CLI telemetry
    codex: tuple[Developer, ...]  # Codex telemetry (ChatGPT plan: in no OpenAI report)
    cursor: tuple[Developer, ...]  # Cursor Admin API
    reconciled: Developer  # Claude Code telemetry and the Anthropic Admin API
    claude_api_only: Developer  # never onboarded: Claude Code in the Admin API only
    api_key_user: Developer  # never onboarded: Cursor, and Codex with an API key (OpenAI report)


def cast(seed: int, people: list[Developer]) -> Cast:
    rng = random.Random(f"{seed}:not-onboarded")
    teams = sorted({d.team_id for d in people})
    outsiders = []
    for i in range(len(people), len(people) + 2):
        email = f"{person_name(i)}@{DOMAIN}"
        user_id = hashlib.sha256(email.encode()).hexdigest()
        outsiders.append(Developer(email, teams[i % len(teams)], user_id, rng.uniform(0.6, 1.0), "cursor", False))
    return Cast(
        gemini=tuple(d for i, d in enumerate(people) if i % 4 == 1),
        codex=tuple(d for i, d in enumerate(people) if i % 3 == 2),
        cursor=tuple(d for d in people if d.other_agent == "cursor") + (outsiders[1],),
        reconciled=people[0],
        claude_api_only=outsiders[0],
        api_key_user=outsiders[1],
    )


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([m[0] for m in weighted], weights=[m[-1] for m in weighted])[0]


def _telemetry_labels(dev: Developer) -> dict[str, str]:
    return {"developer_id": dev.developer_id, "team_id": dev.team_id, **COLLECTOR_JOB}


def telemetry_hour(h: DemoHistory, rng: random.Random, crew: Cast, t: int) -> None:
    """One hour of Gemini CLI and Codex telemetry (token counters as the collector exposes them)."""
    for dev in crew.gemini:
        if rng.random() < work_probability(t, dev) * 0.5:
            calls = rng.randint(2, 20)
            prompt = calls * rng.randint(2_000, 30_000)
            tokens = {
                "input": prompt,
                "cache": round(prompt * rng.uniform(0.2, 0.7)),
                "output": calls * rng.randint(150, 1_500),
                "thought": calls * rng.randint(0, 800),
            }
            labels = {**_telemetry_labels(dev), "model": _pick(rng, GEMINI_MODELS)}
            for kind, amount in tokens.items():
                h.add(GEMINI_TOKENS, {**labels, "type": kind}, t, amount)
    for dev in crew.codex:
        if rng.random() < work_probability(t, dev) * 0.4:
            turns = rng.randint(1, 8)
            prompt, output = turns * rng.randint(5_000, 60_000), turns * rng.randint(300, 4_000)
            tokens = {
                "input": prompt,
                "cached_input": round(prompt * rng.uniform(0.4, 0.85)),
                "output": output,
                "reasoning_output": round(output * rng.uniform(0.2, 0.6)),
                "total": prompt + output,
            }
            labels = {**_telemetry_labels(dev), "model": CODEX_MODEL}
            for kind, amount in tokens.items():
                h.add(CODEX_TOKENS, {**labels, "token_type": kind}, t, amount)


def exporter_gauges(h: DemoHistory, t: int) -> None:
    """What the exporter shows at `t` for these agents: each vendor source up, polled and holding
    yesterday; the token prices of the agents without a cost in their telemetry; whose spend counts."""
    for source in SOURCES:
        status = {"source": source, **EXPORTER_JOB}
        h.set("agent_analytics_vendor_up", status, t, 1)
        h.set("agent_analytics_vendor_last_success_timestamp_seconds", status, t, t - 600)
        h.set("agent_analytics_vendor_newest_day_timestamp_seconds", status, t, t // DAY * DAY - DAY)
        h.set("agent_analytics_vendor_days_pending", status, t, 0)
    for agent, models in PRICED_MODELS.items():
        type_label = priced_agents()[agent].type_label
        for model in models:
            for token_type, price in token_type_prices(agent, model).items():
                h.set(PRICE, {"agent": agent, "model": model, type_label: token_type, **EXPORTER_JOB}, t, price)
    for agent in SPEND_SOURCE_AGENTS:
        h.set(SPEND_SOURCE, {"agent": agent, "source": "auto", **EXPORTER_JOB}, t, 1)


def _vendor(source: str, dev: Developer) -> dict[str, str]:
    return {"source": source, "agent": SOURCES[source], "developer_id": dev.developer_id, "team_id": dev.team_id}


def _telemetry_as_admin_api(h: DemoHistory, dev: Developer):
    """A function of (since, until) giving the Admin API's figures of `dev`'s Claude Code
    telemetry in (since, until]."""
    mine = []
    for (name, labels), per_time in h.counters.items():
        labels = dict(labels)
        if name not in ADMIN_API_OF_TELEMETRY or labels.get("developer_id") != dev.developer_id:
            continue
        series, kept = ADMIN_API_OF_TELEMETRY[name]
        extra = {LABEL_NAMES.get(k, k): VALUES.get(k, {}).get(labels[k], labels[k]) for k in kept}
        if "model" in extra:
            extra["model"] = normalise_model(DATED[extra["model"]])
        mine.append((series, extra, per_time))

    who = _vendor("anthropic", dev)

    def between(since: int, until: int) -> list[DayFigure]:
        return [
            figure(series, sum(v for t, v in per_time.items() if since < t <= until), **who, **extra)
            for series, extra, per_time in mine
        ]

    return between


def _claude_session(rng: random.Random, dev: Developer) -> list[DayFigure]:
    """A day's Claude Code use as the Admin API reports it, on a machine that sends no telemetry."""
    who = _vendor("anthropic", dev)
    out = [figure(SESSIONS, rng.randint(1, 4), **who)]
    for model in sorted({_pick(rng, MODELS) for _ in range(rng.randint(1, 2))}):
        requests = rng.randint(10, 120)
        drawn = draw_tokens(rng, requests, CLAUDE_TOKENS_PER_REQUEST)
        tokens = {VALUES["type"].get(kind, kind): n for kind, n in drawn.items()}  # the Admin API's type names
        cost = claude_cost_usd(model, tokens["input"], tokens["output"], tokens["cache_read"], tokens["cache_creation"])
        name = normalise_model(DATED[model])
        out.append(figure(COST, round(cost, 6), **who, model=name))
        out += [figure(TOKENS, n, **who, model=name, type=kind) for kind, n in tokens.items()]
    added = rng.randint(20, 600)
    out += [figure(LINES, added, **who, type="added"), figure(LINES, rng.randint(0, added // 2), **who, type="removed")]
    out += [figure(COMMITS, rng.randint(0, 3), **who), figure(PULL_REQUESTS, rng.randint(0, 1), **who)]
    for tool in ("edit_tool", "write_tool"):
        out.append(figure(EDIT_DECISIONS, rng.randint(5, 60), **who, tool=tool, decision="accept"))
        out.append(figure(EDIT_DECISIONS, rng.randint(0, 6), **who, tool=tool, decision="reject"))
    return out


def _cursor_day(rng: random.Random, dev: Developer) -> list[DayFigure]:
    who = _vendor("cursor", dev)
    out = []
    for model, provider, _ in CURSOR_MODELS:
        if rng.random() > 0.6:
            continue
        requests = rng.randint(5, 80)
        tokens = draw_tokens(rng, requests, CURSOR_TOKENS_PER_REQUEST)
        price = unit_prices(provider, model)
        cost = price.cost(tokens["input"], tokens["output"], tokens["cache_read"], tokens["cache_creation"])
        name = normalise_model(model)
        out += [figure(REQUESTS, requests, **who, model=name), figure(COST, round(cost, 4), **who, model=name)]
        out += [figure(TOKENS, n, **who, model=name, type=kind) for kind, n in tokens.items()]
    return out


def _openai_day(rng: random.Random, dev: Developer) -> list[DayFigure]:
    """Codex with an API key, as the OpenAI usage report groups it (per user and model)."""
    who = {**_vendor("openai", dev), "model": normalise_model(CODEX_MODEL)}
    requests = rng.randint(20, 300)
    prompt = requests * rng.randint(4_000, 40_000)
    cached = round(prompt * rng.uniform(0.4, 0.85))
    tokens = {"input": prompt - cached, "cache_read": cached, "output": requests * rng.randint(200, 3_000)}
    cost = unit_prices("openai", CODEX_MODEL).cost(tokens["input"], tokens["output"], tokens["cache_read"])
    out = [figure(REQUESTS, requests, **who), figure(COST, round(cost, 6), **who)]
    # the costs report's total of the Codex project, kept beside the per-developer cost
    out.append(figure(BILLED, round(cost, 2), source="openai", agent=SOURCES["openai"], project_id=CODEX_PROJECT))
    return out + [figure(TOKENS, n, **who, type=kind) for kind, n in tokens.items()]


def _active(rng: random.Random, dev: Developer, day: datetime) -> bool:
    return rng.random() < (0.85 if day.weekday() < 5 else 0.1) * dev.intensity


def _vendor_day(seed: int, crew: Cast, day_start: int, telemetry: list[DayFigure]) -> list[DayFigure]:
    """Every vendor figure of one UTC day; `telemetry` is the reconciled developer's Claude Code
    telemetry of the day in the Admin API's terms."""
    rng = random.Random(f"{seed}:vendors:{day_start}")
    day = datetime.fromtimestamp(day_start, UTC)
    figures = list(telemetry)
    if day.weekday() < 5 and rng.random() < 0.25:
        figures += _claude_session(rng, crew.reconciled)
    if _active(rng, crew.claude_api_only, day):
        figures += _claude_session(rng, crew.claude_api_only)
    for dev in crew.cursor:
        if _active(rng, dev, day):
            figures += _cursor_day(rng, dev)
    if _active(rng, crew.api_key_user, day):
        figures += _openai_day(rng, crew.api_key_user)
    return [f for f in add_up(figures) if f.value]


def _carried(carry: dict, day_start: int) -> list[DayFigure]:
    if carry.get("day") != day_start:
        return []
    return [DayFigure(name, tuple(tuple(p) for p in labels), value) for name, labels, value in carry["figures"]]


def _month_start(t: int) -> int:
    return int(datetime.fromtimestamp(t, UTC).replace(day=1, hour=0, minute=0, second=0).timestamp())


def vendor_days(h: DemoHistory, seed: int, crew: Cast, carry: dict) -> dict:
    """Write the vendor figures of every UTC day that ends within the history, and the exporter's
    month-to-date cost per developer at every hour (the days of the month it holds by then).

    `carry` is what a previous run left unfinished (see DemoState.vendor_carry): the reconciled
    developer's telemetry of the day it ended in, and the month's costs so far. Returns the same
    for the next run."""
    month_costs: dict[int, dict[tuple, float]] = {}  # day start -> (source, agent, developer, team) -> USD
    telemetry = _telemetry_as_admin_api(h, crew.reconciled)
    for day_end in range((h.start // DAY + 1) * DAY, h.end + 1, DAY):
        day_start = day_end - DAY
        seen = telemetry(max(day_start, h.start), day_end)
        for f in _vendor_day(seed, crew, day_start, add_up(seen + _carried(carry, day_start))):
            h.set(f.name, dict(f.labels), day_sample_time(datetime.fromtimestamp(day_start, UTC).date()), f.value)
            if f.name == COST:
                key = tuple(p for p in f.labels if p[0] in MONTH_TO_DATE_LABELS)
                per_day = month_costs.setdefault(day_start, {})
                per_day[key] = per_day.get(key, 0.0) + f.value
    carried_month = carry.get("month")
    carried = {tuple(tuple(p) for p in key): usd for key, usd in carry.get("month_costs", [])}

    def month_to_date(t: int) -> dict[tuple, float]:
        month = _month_start(t)
        totals = dict(carried) if carried_month == month else {}
        for day_start, costs in month_costs.items():
            if day_start >= month and day_start + DAY <= t:
                for key, usd in costs.items():
                    totals[key] = totals.get(key, 0.0) + usd
        return totals

    for t in sorted({*range(h.start, h.end + 1, h.step), h.end}):
        for key, usd in month_to_date(t).items():
            h.set(MONTH_TO_DATE, {**dict(key), **EXPORTER_JOB}, t, usd)
    so_far = [[list(map(list, key)), usd] for key, usd in month_to_date(h.end).items()]
    out = {"month": _month_start(h.end), "month_costs": so_far}
    if h.end % DAY:
        day_start = h.end // DAY * DAY
        seen = telemetry(max(day_start, h.start), h.end)
        figures = add_up(seen + _carried(carry, day_start))
        out |= {"day": day_start, "figures": [[f.name, [list(p) for p in f.labels], f.value] for f in figures]}
    return out
