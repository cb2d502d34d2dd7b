"""1. AI spend & ROI: for whoever pays. Spend (usage and seats), per team and developer,
month-end forecast against budget, cost per output, and ROI as a range (grafana/dashboards_src/roi.py).
Every figure `report` also shows is agent_analytics.vocabulary.figures' own (figure_panels)."""

from agent_analytics.vocabulary import series
from agent_analytics.vocabulary import spend as spending
from agent_analytics.vocabulary.figures import RECONCILED, figure
from agent_analytics.vocabulary.promql import latest

from . import agents, roi
from .builder import Row, dashboard, prom, stat, table, timeseries
from .common import variables
from .figure_panels import bars_of, stat_of, table_of
from .queries import COST, DASHBOARD, PEOPLE_MODEL, STEP, TEAM, per_interval

COPILOT_SEATS_IDLE_30D = latest(series.COPILOT_SEATS_IDLE, 'days="30"')
CLAUDE_SEATS_PAID = latest(series.SEATS_PAID, 'agent="claude-code"')
S = DASHBOARD


def build() -> dict:
    spend = Row(
        "Spend",
        [
            stat_of("spend.usage_usd", S),
            stat_of("spend.seats_monthly_usd", S),
            stat_of("spend.seats_usd", S),
            stat_of("spend.total_usd", S),
            stat(
                "Month to date / budget",
                f"sum({series.MONTH_TO_DATE}{{{TEAM}}} and on (team_id) {series.BUDGET})"
                f" / sum({series.BUDGET}{{{TEAM}}})",
                "percentunit",
                description="Usage spend this month (UTC) of the teams that have a budget, over their budgets;"
                " seat licences are not in team budgets.",
                thresholds=[(None, "green"), (0.8, "orange"), (1, "red")],
            ),
            stat(
                "Month-end forecast",
                f"sum({series.FORECAST_MONTH_END}{{{TEAM}}})",
                "currencyUSD",
                description="Usage spend month to date plus the last 24 hours' pace until the end of the month.",
            ),
            timeseries(
                "Claude Code spend by team over time (telemetry)",
                [prom(per_interval(COST, PEOPLE_MODEL, by="team_id"), "{{team_id}}")],
                "currencyUSD",
                stack=True,
                interval=STEP,
                description="Claude Code telemetry cost in each graph step (whole hours); vendor reports are daily.",
            ),
            bars_of("spend.by_model_usd", S, width=12),
            table_of(
                "Spend by agent (usage, and seats in the time range)",
                ["spend.usage_by_agent_usd", "spend.seats_by_agent_usd"],
                S,
                description=f"{figure('spend.usage_by_agent_usd').means} {figure('spend.seats_by_agent_usd').means}",
            ),
            table_of(
                figure("spend.by_developer_usd").words,
                ["spend.by_developer_usd"],
                S,
                description=figure("spend.by_developer_usd").means,
            ),
            bars_of("spend.by_team_usd", S, width=12),
        ],
    )
    efficiency = Row(
        "Cost per output (like by like: each ratio's spend pays for the output it counts)",
        [
            stat_of("commits.cost_per_assisted_commit_with_seats_usd", S, width=6),
            stat_of("commits.usage_cost_per_usage_assisted_commit_usd", S, width=6),
            stat_of("commits.cost_per_commit_with_seats_usd", S, width=6),
            stat_of("commits.assisted", S, width=6),
            stat_of("output.claude_code_cost_per_pull_request_usd", S, width=6),
            stat_of("output.claude_code_lines_added_per_dollar", S, width=6),
            stat_of("output.claude_code_pull_requests", S, width=6),
            stat_of("output.claude_code_share_of_sessions_with_a_commit", S, width=6),
        ],
    )
    seats = Row(
        "Licence utilisation",
        [
            stat_of("copilot.seat_utilisation", S, width=6),
            stat("Copilot idle seats (30 days)", f"sum({COPILOT_SEATS_IDLE_30D})", width=6),
            stat(
                "Claude Code developers active (24h) / seats paid",
                f"sum({series.ACTIVE_DEVELOPERS_1D}{{{TEAM}}}) / sum({CLAUDE_SEATS_PAID})",
                "percentunit",
                width=6,
            ),
            stat_of("usage.claude_code_active_developers", S, width=6),
        ],
    )
    reconcile = Row(
        "Reconciliation: telemetry and vendor APIs per developer",
        [
            panel
            for agent in spending.SPEND_SOURCE_AGENTS
            for panel in (
                table_of(
                    f"{figure(f'spend.reconciliation.{agent}.telemetry_usd').words.split(':')[0]}: developers both see",
                    [
                        f"spend.reconciliation.{agent}.{key}"
                        for key in ("telemetry_usd", "vendor_usd", "difference_usd", "difference_share")
                    ],
                    S,
                    description="What telemetry and the vendor API each say the agent cost, for the developers both "
                    "see: telemetry, vendor API, telemetry minus vendor API, and that difference as a share of the "
                    "vendor API's figure. Totals take one of them per developer (spend_source).",
                ),
                table_of(
                    f"{figure(f'spend.reconciliation.{agent}.telemetry_usd').words.split(':')[0]}: seen by one only",
                    [f"spend.reconciliation.{agent}.{key}" for key in ("only_telemetry_usd", "only_vendor_usd")],
                    S,
                    description=f"Developers only telemetry or only the {RECONCILED[agent]} API sees: not a "
                    "difference, a developer without the other source (a machine without init, an API key, a plan "
                    "the vendor API does not cover).",
                ),
            )
        ],
    )
    coverage = Row(
        "Rollout coverage",
        [
            table(
                "Vendor API users init has not reached",
                [
                    prom(q, name)
                    for name, q in spending.coverage_gaps(spending.Window("$__range"), PEOPLE_MODEL, S.git).items()
                ],
                width=12,
                description="People a vendor API saw using an agent in the time range who send no telemetry of "
                "that agent (0 under telemetry) or whose commits no git hook has seen (0 under git_hook).",
            ),
            table_of(
                figure("usage.known_only_to_vendor_apis_usd").words,
                ["usage.known_only_to_vendor_apis_usd"],
                S,
                description=figure("usage.known_only_to_vendor_apis_usd").means,
            ),
        ],
    )
    return dashboard(
        "aa-spend-roi",
        "AI spend & ROI",
        "What AI coding assistants cost, per team and developer, and what they return.",
        [*roi.headline(S), spend, reconcile, coverage, efficiency, *roi.rows(S), seats, agents.row()],
        variables("team", "developer", "model", "agent", "hourly_rate_usd", "minutes_per_commit"),
        tags=("spend", "roi"),
    )
