"""The PromQL of `agent-analytics report` besides its figures (agent_analytics/vocabulary/figures.py):
the ROI settings as configured, the rollout coverage, month-to-date budgets and who was in which
team, as one table of named queries.

`$range` is the report's window and `$mtd` the window since the first of the month; both end at
the report's evaluation time. Configuration gauges go through last_over_time() so history loaded
by demo/backfill is found too.
"""

from string import Template

from agent_analytics.vocabulary import series, spend
from agent_analytics.vocabulary.promql import latest

RANGE, MTD = "$range", "$mtd"  # Template placeholders, filled in by render()
IN_RANGE, IN_MONTH = spend.Window(RANGE), spend.Window(MTD)

QUERIES: dict[str, str] = {
    # the ROI settings of the exporter's `roi` config, if any
    **{f"roi_{key}": f"max({latest(gauge, span=RANGE)})" for key, gauge in series.ROI_SETTINGS.items()},
    **{f"coverage_{flag}": expr for flag, expr in spend.coverage_gaps(IN_RANGE).items()},
    "budget_by_team": f"max by (team_id) ({latest(series.BUDGET_MONTHLY, span=MTD)})",
    "spend_mtd_by_team": spend.total_spend(IN_MONTH, "team_id"),
    # each developer's spend per team: the teams a developer was in, most spent first
    "spend_by_developer_and_team": spend.total_spend(IN_RANGE, "developer_id, team_id"),
}


def render(name: str, range_: str, mtd: str) -> str:
    # safe_substitute: label_replace's "$1" is PromQL, not a placeholder
    return Template(QUERIES[name]).safe_substitute(range=range_, mtd=mtd)
