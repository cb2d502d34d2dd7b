"""The PromQL behind `agent-analytics report`, as one table of named queries.

`$range` is the report's window (7d, 30d, or the seconds since the month began) and `$mtd`
the window since the first of the month; both end at the report's evaluation time. Counters
go through increase() (reset-safe, the same figures the dashboards show); configuration
gauges through last_over_time() so history loaded by demo/backfill is found too.
"""

from string import Template

QUERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    # name: (PromQL, labels of the result rows)
    "spend_by_model": ("sum by (model) (increase(claude_code_cost_usage_USD_total[$range]))", ("model",)),
    "spend_by_developer": (
        "sum by (developer_id, team_id) (increase(claude_code_cost_usage_USD_total[$range]))",
        ("developer_id", "team_id"),
    ),
    "spend_by_team": ("sum by (team_id) (increase(claude_code_cost_usage_USD_total[$range]))", ("team_id",)),
    "tokens_by_type": ("sum by (type) (increase(claude_code_token_usage_tokens_total[$range]))", ("type",)),
    "gemini_tokens_by_type": (
        'sum by (type) (increase({__name__=~"gemini_cli_token_usage.*_total"}[$range]))',
        ("type",),
    ),
    "sessions": ("sum(increase(claude_code_session_count_total[$range]))", ()),
    "active_seconds_by_type": ("sum by (type) (increase(claude_code_active_time_seconds_total[$range]))", ("type",)),
    "active_developers": (
        "count(sum by (developer_id) (increase(claude_code_active_time_seconds_total[$range])) > 0)",
        (),
    ),
    "lines_by_type": ("sum by (type) (increase(claude_code_lines_of_code_count_total[$range]))", ("type",)),
    "commits_by_agent": ("sum by (agent) (increase(agent_analytics_git_commits_total[$range]))", ("agent",)),
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
    "spend_mtd_by_team": ("sum by (team_id) (increase(claude_code_cost_usage_USD_total[$mtd]))", ("team_id",)),
    "roi_hourly_rate_usd": ("max(last_over_time(agent_analytics_roi_hourly_rate_usd[$range]))", ()),
    "roi_minutes_saved_per_accepted_line": (
        "max(last_over_time(agent_analytics_roi_minutes_saved_per_accepted_line[$range]))",
        (),
    ),
    "roi_minutes_saved_per_assisted_commit": (
        "max(last_over_time(agent_analytics_roi_minutes_saved_per_assisted_commit[$range]))",
        (),
    ),
}


def render(name: str, range_: str, mtd: str) -> str:
    return Template(QUERIES[name][0]).substitute(range=range_, mtd=mtd)
