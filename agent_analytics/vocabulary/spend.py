"""The spend of every agent, as PromQL: the one place that says where each agent's money is
read from, for the dashboards, `report` and the budget recording rules alike.

Per agent, spend comes from telemetry, from a vendor's organisation API, or from either:

* claude-code: telemetry cost (claude_code_cost_usage_USD_total) or the Anthropic reports
* codex: telemetry tokens x the genai-prices price, or the OpenAI organisation costs
* cursor: the Cursor Admin API only (Cursor sends no telemetry)
* gemini-cli: telemetry tokens x the genai-prices price only

One source per figure: where an agent has both, `spend_source` (exporter config, exposed as
agent_analytics_spend_source{agent, source} = 1) picks per agent: `telemetry`, `vendor_api`, or
`auto` (also when the gauge is missing): telemetry for a developer who sends it in the window,
the vendor API for everyone else. The choice is made per developer before any grouping, so a
total by team or model never holds a developer twice.

Vendor figures are day samples (exporter.vendors.day_sample_time): a window's amount is
sum_over_time over the window. Telemetry counters grow: agent_analytics.vocabulary.promql.growth().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent_analytics.vocabulary import hourly
from agent_analytics.vocabulary.series import (
    CLAUDE_COST,
    GIT_COMMITS,
    SPEND_SOURCE,
    TOKEN_PRICE,
    VENDOR_COST,
)
from agent_analytics.vocabulary.token_prices import priced_agents

SPEND_SOURCE_AGENTS = ("claude-code", "codex")  # agents with both telemetry and a vendor API

AGENTS = ("claude-code", "codex", "cursor", "gemini-cli")  # agents with usage-based spend
# the vendor sources of an agent, preferred first per developer: the Enterprise report's billed
# amounts (revised for 30 days) over the Admin API's estimate, which also holds subscription use
VENDOR_SOURCES = {
    "claude-code": ("anthropic_enterprise", "anthropic"),
    "codex": ("openai",),
    "cursor": ("cursor",),
}
# the labels at which the source of a figure is chosen; every result is summed from these
DEVELOPER = "team_id, developer_id, model"


@dataclass(frozen=True)
class Window:
    """What a figure covers.

    span: the window of telemetry growth and of vendor day samples ("$__range", "7d", "1h").
    lookback: growth()'s lookback before the window (recording rules pass a day or more).
    presence_span: the window in which a developer counts as sending telemetry (auto), and in
    which the price and spend_source gauges are read (default: span).
    """

    span: str
    lookback: str | None = None
    presence_span: str | None = None

    @property
    def presence(self) -> str:
        return self.presence_span or self.span


def _selector(metric: str, *matchers: str) -> str:
    labels = ", ".join(m for m in matchers if m)
    return f"{metric}{{{labels}}}" if labels else metric


def _mode(agent: str, source: str, span: str) -> str:
    return f'max(last_over_time({SPEND_SOURCE}{{agent="{agent}", source="{source}"}}[{span}]))'


# --- telemetry ----------------------------------------------------------------------------------


def telemetry_series(agent: str) -> str | None:
    """The counter whose presence says a developer sends the agent's telemetry."""
    if agent == "claude-code":
        return CLAUDE_COST
    spec = priced_agents().get(agent)
    return spec.series if spec else None


def raw_telemetry_cost(agent: str, w: Window, filters: str = "") -> str | None:
    """USD from the agent's telemetry over the window, by DEVELOPER, whatever spend_source says."""
    if agent == "claude-code":
        return f"sum by ({DEVELOPER}) ({hourly.per_series(CLAUDE_COST, w.span, filters, lookback=w.lookback)})"
    spec = priced_agents().get(agent)
    if spec is None:
        return None
    tokens = hourly.per_series(spec.series, w.span, filters, lookback=w.lookback)
    # the price series names the token type with the agent's own label
    on = f"model, {spec.type_label}"
    price = f'max by ({on}) (last_over_time({TOKEN_PRICE}{{agent="{agent}"}}[{w.presence}]))'
    return f"sum by ({DEVELOPER}) (\n  {tokens}\n  * on ({on}) group_left ()\n  {price}\n)"


def telemetry_present(agent: str, w: Window, filters: str = "") -> str | None:
    series = telemetry_series(agent)
    if series is None:
        return None
    if w.lookback is None and hourly.covers(series, filters):  # who had growth in the window
        return f"group by (developer_id) ({hourly.window(series, w.presence, filters)})"
    return f"group by (developer_id) (last_over_time({_selector(series, filters)}[{w.presence}]))"


def telemetry_cost(agent: str, w: Window, filters: str = "") -> str | None:
    """The telemetry part of the agent's spend, by DEVELOPER: none when spend_source is vendor_api."""
    cost = raw_telemetry_cost(agent, w, filters)
    if cost is None or agent not in SPEND_SOURCE_AGENTS:
        return cost
    return f"(\n{cost}\nunless on () {_mode(agent, 'vendor_api', w.presence)}\n)"


# --- vendor APIs --------------------------------------------------------------------------------


def raw_vendor_cost(agent: str, w: Window, filters: str = "", series: str = VENDOR_COST) -> str | None:
    """USD the agent's vendor APIs report for the window, by DEVELOPER (for the month-to-date
    gauge, which has no model, by team and developer), one source per developer."""
    sources = VENDOR_SOURCES.get(agent)
    if not sources:
        return None
    by = DEVELOPER if series == VENDOR_COST else "team_id, developer_id"
    parts = []
    for source in sources:
        sel = _selector(series, f'agent="{agent}"', f'source="{source}"', filters)
        # day samples add up over the window; the month-to-date gauge is read as last scraped
        amount = f"sum_over_time({sel}[{w.span}])" if series == VENDOR_COST else f"last_over_time({sel}[{w.span}])"
        part = f"sum by ({by}) ({amount})"
        # a developer the preferred source already holds is left out of the next
        for earlier in sources[: sources.index(source)]:
            held = _selector(series, f'agent="{agent}"', f'source="{earlier}"', filters)
            part = f"({part} unless on (developer_id) last_over_time({held}[{w.span}]))"
        parts.append(part)
    return parts[0] if len(parts) == 1 else "(\n  " + "\n  or\n  ".join(parts) + "\n)"


def vendor_cost(
    agent: str, w: Window, filters: str = "", series: str = VENDOR_COST, present: str | None = None
) -> str | None:
    """The vendor part of the agent's spend: none when spend_source is telemetry; in auto, only
    developers who send no telemetry in the window (or who are not in `present`, by developer_id)."""
    cost = raw_vendor_cost(agent, w, filters, series)
    if cost is None or agent not in SPEND_SOURCE_AGENTS:
        return cost
    present = present or telemetry_present(agent, w, filters)
    return (
        f"(\n{cost}\nunless on () {_mode(agent, 'telemetry', w.presence)}\n"
        f"unless on (developer_id) ({present} unless on () {_mode(agent, 'vendor_api', w.presence)})\n)"
    )


# --- totals -------------------------------------------------------------------------------------


def _either(*parts: str | None) -> str:
    """Parts that never hold the same series (the choice above makes them disjoint)."""
    present = [p for p in parts if p]
    return present[0] if len(present) == 1 else "(\n" + "\nor\n".join(present) + "\n)"


def _cost_is_presence(agent: str, w: Window, filters: str) -> bool:
    """Whether the telemetry cost holds a series for exactly the developers who count as sending
    telemetry in the window: Claude Code's cost counter read over the presence window itself."""
    return (
        agent == "claude-code"
        and w.presence_span is None
        and w.lookback is None
        and hourly.covers(CLAUDE_COST, filters)
    )


def agent_spend(agent: str, w: Window, by: str = "", filters: str = "") -> str:
    """USD of one agent over the window, one source per developer, summed by `by`."""
    if _cost_is_presence(agent, w, filters):
        # the same choice as vendor_cost()'s in one reading of the counter: `or on (developer_id)`
        # keeps the telemetry of those who send it and the vendor figures of everyone else
        vendor = f"(\n{raw_vendor_cost(agent, w, filters)}\nunless on () {_mode(agent, 'telemetry', w.presence)}\n)"
        return f"sum by ({by}) (\n{telemetry_cost(agent, w, filters)}\nor on (developer_id)\n{vendor}\n)"
    return f"sum by ({by}) ({_either(telemetry_cost(agent, w, filters), vendor_cost(agent, w, filters))})"


def picked(regex: str, agents: tuple[str, ...] = AGENTS) -> str:
    """One series (label `agent`, value 1) per agent of `agents` whose name `regex` matches whole,
    as a dashboard's $agent does. PromQL matches regexes only in selectors, so each agent is a
    constant series: those label_replace() renames (they match) are the ones `unless` keeps."""
    each = "(" + " or ".join(f'label_replace(vector(1), "agent", "{a}", "", "")' for a in agents) + ")"
    return f'({each} unless on (agent) label_replace({each}, "agent", "picked:$1", "agent", "({regex})"))'


def spend_by_agent(
    w: Window, by: str = "", filters: str = "", agents: tuple[str, ...] = AGENTS, agent_regex: str = ""
) -> str:
    """USD per agent (label `agent`), summed by `by`; only the agents `agent_regex` matches, if given."""
    grouping = ", ".join(x for x in ("agent", by) if x)
    parts = [f'label_replace({agent_spend(a, w, by, filters)}, "agent", "{a}", "", "")' for a in agents]
    out = f"sum by ({grouping}) (\n" + "\nor\n".join(parts) + "\n)"
    return f"({out}\nand on (agent) {picked(agent_regex, agents)})" if agent_regex else out


def total_spend(
    w: Window, by: str = "", filters: str = "", agents: tuple[str, ...] = AGENTS, agent_regex: str = ""
) -> str:
    """Usage-based USD of every agent (or those `agent_regex` matches) over the window, summed by `by`."""
    return f"sum by ({by}) ({spend_by_agent(w, by, filters, agents, agent_regex)})"


def telemetry_spend(w: Window, by: str = "", filters: str = "") -> str:
    """The telemetry parts only (the budget rules accumulate these minute by minute)."""
    parts = [f'label_replace({t}, "agent", "{a}", "", "")' for a in AGENTS if (t := telemetry_cost(a, w, filters))]
    return f"sum by ({by}) (\n" + "\nor\n".join(parts) + "\n)"


def vendor_spend(
    w: Window, by: str = "", filters: str = "", series: str = VENDOR_COST, present: Callable[[str], str] | None = None
) -> str:
    """The vendor parts only (for month to date, from the exporter's month-to-date gauge);
    `present(agent)` overrides who counts as sending the agent's telemetry."""
    parts = []
    for a in AGENTS:
        v = vendor_cost(a, w, filters, series, present(a) if present else None)
        if v:
            parts.append(f'label_replace({v}, "agent", "{a}", "", "")')
    return f"sum by ({by}) (\n" + "\nor\n".join(parts) + "\n)"


# --- reconciliation and rollout coverage --------------------------------------------------------


def reconciliation(agent: str, w: Window, filters: str = "") -> dict[str, str]:
    """What telemetry and the vendor API each say the agent cost per developer, whatever
    spend_source picks: for the developers both see, each side, the difference (telemetry -
    vendor) and its share of the vendor's figure; and the developers only one of them sees."""
    by = "developer_id"
    t = f"(sum by ({by}) ({raw_telemetry_cost(agent, w, filters)}) > 0)"
    v = f"(sum by ({by}) ({raw_vendor_cost(agent, w, filters)}) > 0)"
    return {
        "telemetry_usd": f"{t} and on ({by}) {v}",
        "vendor_usd": f"{v} and on ({by}) {t}",
        "difference_usd": f"{t} - on ({by}) {v}",
        "difference_share": f"({t} - on ({by}) {v}) / on ({by}) {v}",
        "only_telemetry_usd": f"{t} unless on ({by}) {v}",
        "only_vendor_usd": f"{v} unless on ({by}) {t}",
    }


def vendor_users(w: Window, filters: str = "") -> str:
    """Developers a vendor API saw using an agent in the window (value 1), by agent, team, developer."""
    return f"group by (agent, team_id, developer_id) (sum_over_time({_selector(VENDOR_COST, filters)}[{w.span}]))"


def telemetry_senders(w: Window, filters: str = "") -> str:
    """Developers who sent the agent's telemetry in the window, by agent and developer."""
    parts = [f'label_replace({p}, "agent", "{a}", "", "")' for a in AGENTS if (p := telemetry_present(a, w, filters))]
    return "(\n" + "\nor\n".join(parts) + "\n)"


def hook_users(w: Window, filters: str = "") -> str:
    """Developers whose commits the git hook saw (only the hook sees an agent's session)."""
    matchers = ", ".join(m for m in ('evidence="session"', filters) if m)
    return f"group by (developer_id) ({hourly.per_series(GIT_COMMITS, w.span, matchers, lookback=w.lookback)})"


def coverage(w: Window, filters: str = "", git_filters: str = "") -> dict[str, str]:
    """Vendor API users with whether they send telemetry and have the git hook (1/0)."""
    users = vendor_users(w, filters)
    senders = telemetry_senders(w, filters)
    return {
        "telemetry": f"(({users}) and on (agent, developer_id) {senders}) or (({users}) * 0)",
        "git_hook": f"(({users}) and on (developer_id) {hook_users(w, git_filters)}) or (({users}) * 0)",
    }


def not_reached(w: Window, filters: str = "", git_filters: str = "") -> str:
    """Vendor API users who send no telemetry of the agent or have no git hook (value 1)."""
    users = vendor_users(w, filters)
    return (
        f"({users}) unless on (agent, developer_id) "
        f"(({telemetry_senders(w, filters)}) and on (developer_id) {hook_users(w, git_filters)})"
    )


def coverage_gaps(w: Window, filters: str = "", git_filters: str = "") -> dict[str, str]:
    """coverage() of the users not_reached() lists. Each user's flags are the bits of one code
    (telemetry 1, git hook 2) and a user with both is left out, so a column reads the senders
    and the hook users once instead of once more for not_reached()."""
    flags = coverage(w, filters, git_filters)
    code = f"(({flags['telemetry']}) + 2 * ({flags['git_hook']}) < 3)"
    return {"telemetry": f"{code} % 2", "git_hook": f"floor({code} / 2)"}
