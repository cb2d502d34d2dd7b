"""The PromQL behind `agent-analytics report`, as one table of named queries.

`$range` is the report's window (7d, 30d, or the seconds since the month began) and `$mtd`
the window since the first of the month; both end at the report's evaluation time.

Counters are read with `agent_analytics.vocabulary.hourly.grown()` (the hourly pre-aggregates where they
hold the labels a query needs), as the dashboards read them.

Configuration gauges go through last_over_time() so history loaded by demo/backfill is found too.

Spend is every agent's (agent_analytics.vocabulary.spend: telemetry and vendor day series, one source per
agent and developer), over the same windows as the dashboards.
"""

from string import Template

from agent_analytics.vocabulary import roi, series, spend
from agent_analytics.vocabulary.hourly import grown

RANGE, MTD = "$range", "$mtd"  # Template placeholders, filled in by render()
IN_RANGE, IN_MONTH = spend.Window(RANGE), spend.Window(MTD)
COST = series.CLAUDE_COST
GEMINI_TOKENS = series.GEMINI_TOKENS_ANY_UNIT

QUERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    # name: (PromQL, labels of the result rows)
    "spend_by_model": (spend.total_spend(IN_RANGE, "model"), ("model",)),
    "spend_by_developer": (spend.total_spend(IN_RANGE, "developer_id, team_id"), ("developer_id", "team_id")),
    "spend_by_team": (spend.total_spend(IN_RANGE, "team_id"), ("team_id",)),
    "spend_by_agent": (spend.spend_by_agent(IN_RANGE), ("agent",)),
    **{
        f"reconcile_{agent}_{side}": (expr, ("developer_id", "team_id"))
        for agent in spend.SPEND_SOURCE_AGENTS
        for side, expr in spend.reconciliation(agent, IN_RANGE).items()
    },
    **{f"coverage_{flag}": (expr, ("agent",)) for flag, expr in spend.coverage_gaps(IN_RANGE).items()},
    "tokens_by_type": (grown(series.CLAUDE_TOKENS, RANGE, by="type"), ("type",)),
    "gemini_tokens_by_type": (grown(GEMINI_TOKENS, RANGE, by="type"), ("type",)),
    "codex_tokens_by_type": (
        grown(series.CODEX_TOKENS, RANGE, by="token_type"),
        ("token_type",),
    ),
    "sessions": (grown(series.CLAUDE_SESSIONS, RANGE), ()),
    "active_seconds_by_type": (grown(series.CLAUDE_ACTIVE_TIME, RANGE, by="type"), ("type",)),
    "active_developers": (
        f"count({grown('claude_code_active_time_seconds_total', RANGE, by='developer_id')} > 0)",
        (),
    ),
    "lines_by_type": (grown(series.CLAUDE_LINES, RANGE, by="type"), ("type",)),
    "commits_by_agent": (grown(series.GIT_COMMITS, RANGE, by="agent"), ("agent",)),
    "copilot_generations_daily": (
        "sum(avg_over_time(agent_analytics_copilot_code_generation_activities[$range]))",
        (),
    ),
    "copilot_acceptances_daily": (
        "sum(avg_over_time(agent_analytics_copilot_code_acceptance_activities[$range]))",
        (),
    ),
    "copilot_seats_by_state": ("sum by (state) (last_over_time(agent_analytics_copilot_seats[$range]))", ("state",)),
    "seats_paid_by_agent": ("max by (agent) (last_over_time(agent_analytics_seats_paid[$range]))", ("agent",)),
    "seat_price_by_agent": (
        "max by (agent) (last_over_time(agent_analytics_seat_price_monthly_usd[$range]))",
        ("agent",),
    ),
    "budget_by_team": ("max by (team_id) (last_over_time(agent_analytics_budget_monthly_usd[$mtd]))", ("team_id",)),
    "spend_mtd_by_team": (spend.total_spend(IN_MONTH, "team_id"), ("team_id",)),
    "roi_hourly_rate_usd": ("max(last_over_time(agent_analytics_roi_hourly_rate_usd[$range]))", ()),
    "roi_minutes_saved_per_assisted_commit": (
        "max(last_over_time(agent_analytics_roi_minutes_saved_per_assisted_commit[$range]))",
        (),
    ),
    **{f"roi_{key}": (f"max(last_over_time(agent_analytics_roi_{key}[$range]))", ()) for key in roi.OWN_KEYS},
    # adoption and output per dollar (agent_analytics/vocabulary/roi.py)
    "active_days_by_developer": (
        roi.active_days_promql(series.CLAUDE_ACTIVE_TIME, series.VENDOR_COST, RANGE),
        ("developer_id",),
    ),
    "active_seconds_by_developer": (
        grown(series.CLAUDE_ACTIVE_TIME, RANGE, by="developer_id"),
        ("developer_id",),
    ),
    "commits_by_developer": (
        grown(series.GIT_COMMITS, RANGE, by="developer_id"),
        ("developer_id",),
    ),
    "committing_sessions": (grown(series.COMMITTING_SESSIONS, RANGE), ()),
    "pull_requests": (grown(series.CLAUDE_PULL_REQUESTS, RANGE), ()),
    "edit_decisions_by_decision": (
        grown(series.CLAUDE_EDIT_DECISIONS, RANGE, by="decision"),
        ("decision",),
    ),
}


def render(name: str, range_: str, mtd: str) -> str:
    # safe_substitute: label_replace's "$1" is PromQL, not a placeholder
    return Template(QUERIES[name][0]).safe_substitute(range=range_, mtd=mtd)
