"""What the vendors' organisation APIs report of the demo organisation (Anthropic Admin API,
Cursor, OpenAI), as the exporter writes it: day samples, one per series and UTC day at
`day_sample_time(day)` once the day is over, and the month-to-date cost per developer.

* Anthropic Admin API: the first developer, who also sends Claude Code telemetry. The API sees
  that telemetry's usage plus, on some days, a session on a machine without `init`, so the
  reconciliation has a row with a difference.
* Cursor Admin API: the developers whose other agent is Cursor.
* Two people never onboarded, known only to vendor APIs (rollout coverage): one uses Claude
  Code, the other Cursor and Codex with an API key (in the OpenAI report).

Everything here draws from its own random streams (per day), so the Claude Code, git and Copilot
history is the same with or without it, and a day's vendor figures are the same whichever demo
run writes them.
"""

import random
from datetime import UTC, datetime

from agent_analytics.exporter.vendors.figures import DayFigure, add_up, day_sample_time, figure
from agent_analytics.vocabulary import series as s
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.token_prices import claude_cost_usd, unit_prices

from .claude_code import TOKENS_PER_REQUEST as CLAUDE_TOKENS_PER_REQUEST
from .codex import MODEL as CODEX_MODEL
from .history import DemoHistory
from .organisation import EXPORTER_JOB, MODELS, Cast, Developer, draw_tokens, pick

DAY = 86400
CODEX_PROJECT = "proj_codex"
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
    s.CLAUDE_COST: (s.VENDOR_COST, ("model",)),
    s.CLAUDE_TOKENS: (s.VENDOR_TOKENS, ("model", "type")),
    s.CLAUDE_SESSIONS: (s.VENDOR_SESSIONS, ()),
    s.CLAUDE_LINES: (s.VENDOR_LINES, ("type",)),
    s.CLAUDE_COMMITS: (s.VENDOR_COMMITS, ()),
    s.CLAUDE_PULL_REQUESTS: (s.VENDOR_PULL_REQUESTS, ()),
    s.CLAUDE_EDIT_DECISIONS: (s.VENDOR_EDIT_DECISIONS, ("tool_name", "decision")),
}
LABEL_NAMES = {"tool_name": "tool"}
VALUES = {
    "type": {"cacheRead": "cache_read", "cacheCreation": "cache_creation"},
    "tool_name": {"Edit": "edit_tool", "Write": "write_tool"},
}
SOURCES = {"anthropic": "claude-code", "cursor": "cursor", "openai": "codex"}  # the demo's vendor sources
MONTH_TO_DATE_LABELS = ("source", "agent", "developer_id", "team_id")


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
    out = [figure(s.VENDOR_SESSIONS, rng.randint(1, 4), **who)]
    for model in sorted({pick(rng, MODELS) for _ in range(rng.randint(1, 2))}):
        requests = rng.randint(10, 120)
        drawn = draw_tokens(rng, requests, CLAUDE_TOKENS_PER_REQUEST)
        tokens = {VALUES["type"].get(kind, kind): n for kind, n in drawn.items()}  # the Admin API's type names
        cost = claude_cost_usd(model, tokens["input"], tokens["output"], tokens["cache_read"], tokens["cache_creation"])
        name = normalise_model(DATED[model])
        out.append(figure(s.VENDOR_COST, round(cost, 6), **who, model=name))
        out += [figure(s.VENDOR_TOKENS, n, **who, model=name, type=kind) for kind, n in tokens.items()]
    added = rng.randint(20, 600)
    out += [
        figure(s.VENDOR_LINES, added, **who, type="added"),
        figure(s.VENDOR_LINES, rng.randint(0, added // 2), **who, type="removed"),
    ]
    out += [
        figure(s.VENDOR_COMMITS, rng.randint(0, 3), **who),
        figure(s.VENDOR_PULL_REQUESTS, rng.randint(0, 1), **who),
    ]
    for tool in ("edit_tool", "write_tool"):
        out.append(figure(s.VENDOR_EDIT_DECISIONS, rng.randint(5, 60), **who, tool=tool, decision="accept"))
        out.append(figure(s.VENDOR_EDIT_DECISIONS, rng.randint(0, 6), **who, tool=tool, decision="reject"))
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
        out += [
            figure(s.VENDOR_REQUESTS, requests, **who, model=name),
            figure(s.VENDOR_COST, round(cost, 4), **who, model=name),
        ]
        out += [figure(s.VENDOR_TOKENS, n, **who, model=name, type=kind) for kind, n in tokens.items()]
    return out


def _openai_day(rng: random.Random, dev: Developer) -> list[DayFigure]:
    """Codex with an API key, as the OpenAI usage report groups it (per user and model)."""
    who = {**_vendor("openai", dev), "model": normalise_model(CODEX_MODEL)}
    requests = rng.randint(20, 300)
    prompt = requests * rng.randint(4_000, 40_000)
    cached = round(prompt * rng.uniform(0.4, 0.85))
    tokens = {"input": prompt - cached, "cache_read": cached, "output": requests * rng.randint(200, 3_000)}
    cost = unit_prices("openai", CODEX_MODEL).cost(tokens["input"], tokens["output"], tokens["cache_read"])
    out = [figure(s.VENDOR_REQUESTS, requests, **who), figure(s.VENDOR_COST, round(cost, 6), **who)]
    # the costs report's total of the Codex project, kept beside the per-developer cost
    out.append(
        figure(s.VENDOR_BILLED, round(cost, 2), source="openai", agent=SOURCES["openai"], project_id=CODEX_PROJECT)
    )
    return out + [figure(s.VENDOR_TOKENS, n, **who, type=kind) for kind, n in tokens.items()]


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
            if f.name == s.VENDOR_COST:
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
            h.set(s.VENDOR_MONTH_TO_DATE, {**dict(key), **EXPORTER_JOB}, t, usd)
    so_far = [[list(map(list, key)), usd] for key, usd in month_to_date(h.end).items()]
    out = {"month": _month_start(h.end), "month_costs": so_far}
    if h.end % DAY:
        day_start = h.end // DAY * DAY
        seen = telemetry(max(day_start, h.start), h.end)
        figures = add_up(seen + _carried(carry, day_start))
        out |= {"day": day_start, "figures": [[f.name, [list(p) for p in f.labels], f.value] for f in figures]}
    return out
