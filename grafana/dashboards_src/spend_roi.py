"""1. AI spend & ROI: for whoever pays. Spend (usage and seats), per team and developer,
month-end forecast against budget, cost per output, and ROI as a range (grafana/dashboards_src/roi.py)."""

from agent_analytics.vocabulary import series
from agent_analytics.vocabulary import spend as spending
from agent_analytics.vocabulary.facts import ROI_DEFAULTS, SEAT_MONTH_SECONDS

from . import agents, roi
from .builder import Row, bars, dashboard, prom, stat, table, textbox_variable, timeseries
from .common import standard_variables
from .queries import (
    CC_PULL_REQUESTS,
    COMMITS,
    COST,
    GIT,
    LINES,
    PEOPLE,
    PEOPLE_MODEL,
    STEP,
    TEAM,
    latest,
    per_interval,
    window,
)

RANGE = spending.Window("$__range")
# usage-based spend of every agent (agent_analytics/vocabulary/spend.py), one source per agent and developer
SPEND = spending.total_spend(RANGE, "", PEOPLE_MODEL)


RECONCILED = {"claude-code": "Claude Code (Anthropic)", "codex": "Codex (OpenAI)"}


def spend_by(labels: str) -> str:
    return spending.total_spend(RANGE, labels, PEOPLE_MODEL)


# seats: configured (claude-code, cursor, ...) plus Copilot's billed seats, at configured prices
# (gauges read with latest(): their newest value in the time range)
SEAT_PRICE = latest(series.SEAT_PRICE)
COPILOT_SEAT_PRICE = latest(series.SEAT_PRICE, 'agent="copilot"')
SEATS_PAID = latest(series.SEATS_PAID)
CLAUDE_SEATS_PAID = latest(series.SEATS_PAID, 'agent="claude-code"')
COPILOT_SEATS = latest(series.COPILOT_SEATS, 'state="total"')
COPILOT_SEATS_ACTIVE = latest(series.COPILOT_SEATS, 'state="active_this_cycle"')
COPILOT_SEATS_IDLE_30D = latest(series.COPILOT_SEATS_IDLE, 'days="30"')
SEATS_MONTHLY = (
    f"(sum({SEAT_PRICE} * on (agent) group_left () {SEATS_PAID}) or vector(0))"
    f" + (sum({COPILOT_SEAT_PRICE}) * sum({COPILOT_SEATS}) or vector(0))"
)
SEATS_IN_RANGE = f"({SEATS_MONTHLY}) * $__range_s / {SEAT_MONTH_SECONDS}"
SEATS_BY_AGENT_IN_RANGE = (
    f"(sum by (agent) ({SEAT_PRICE} * on (agent) group_left () {SEATS_PAID})"
    f' or label_replace(sum({COPILOT_SEAT_PRICE}) * sum({COPILOT_SEATS}), "agent", "copilot", "", ""))'
    f" * $__range_s / {SEAT_MONTH_SECONDS}"
)
ASSISTED_COMMITS = window(COMMITS, f'{GIT}, agent!="none"')
LINES_ADDED = window(LINES, f'{PEOPLE_MODEL}, type="added"')
TOTAL = f"({SPEND} or vector(0)) + {SEATS_IN_RANGE}"


def _default(assumption: str) -> str:
    return f"{ROI_DEFAULTS[assumption]:g}"


def build() -> dict:
    spend = Row(
        "Spend",
        [
            stat(
                "Usage-based spend",
                SPEND,
                "currencyUSD",
                decimals=2,
                description="Usage-based spend of every agent over the time range: Claude Code, Codex, Cursor and "
                "Gemini CLI, from telemetry or the vendors' APIs, one source per agent and developer (spend_source).",
            ),
            stat(
                "Seat licences per month",
                SEATS_MONTHLY,
                "currencyUSD",
                description="Configured seats x seat price, plus Copilot's billed seats x the copilot seat price.",
            ),
            stat(
                "Total for the range",
                TOTAL,
                "currencyUSD",
                decimals=2,
                description="Usage plus seat licences pro-rated to the length of the time range.",
            ),
            stat(
                "Month to date / budget",
                f"sum({series.MONTH_TO_DATE}{{{TEAM}}} and on (team_id) {series.BUDGET})"
                f" / sum({series.BUDGET}{{{TEAM}}})",
                "percentunit",
                description="Spend this month (UTC) of the teams that have a budget, over their budgets.",
                thresholds=[(None, "green"), (0.8, "orange"), (1, "red")],
            ),
            stat(
                "Month-end forecast",
                f"sum({series.FORECAST_MONTH_END}{{{TEAM}}})",
                "currencyUSD",
                description="Month to date plus the last 24 hours' pace until the end of the month.",
            ),
            stat("Monthly budget", f"sum({series.BUDGET}{{{TEAM}}})", "currencyUSD"),
            timeseries(
                "Spend by team",
                [prom(per_interval(COST, PEOPLE_MODEL, by="team_id"), "{{team_id}}")],
                "currencyUSD",
                stack=True,
                interval=STEP,
                description="Claude Code telemetry cost in each graph step (whole hours); vendor reports are daily.",
            ),
            bars("Spend by model", [prom(spend_by("model"), "{{model}}")], "currencyUSD", width=12),
            table(
                "Spend by agent",
                [
                    prom(f"sort_desc({spending.spend_by_agent(RANGE, '', PEOPLE_MODEL)})", "usage"),
                    prom(SEATS_BY_AGENT_IN_RANGE, "seats"),
                ],
                "currencyUSD",
                description="Usage-based spend and seat licences pro-rated to the time range, per agent.",
            ),
            table("Spend per developer", [prom(f"sort_desc({spend_by('team_id, developer_id')})")], "currencyUSD"),
            bars("Spend per team", [prom(spend_by("team_id"), "{{team_id}}")], "currencyUSD", width=12),
        ],
    )
    efficiency = Row(
        "Cost per output",
        [
            stat(
                "Cost per assisted commit",
                f"{SPEND} / {ASSISTED_COMMITS}",
                "currencyUSD",
                decimals=2,
                width=6,
                description="Usage spend divided by commits an agent helped with (git, any agent).",
            ),
            stat(
                "Cost per pull request",
                f"{SPEND} / {window(CC_PULL_REQUESTS, PEOPLE)}",
                "currencyUSD",
                decimals=2,
                width=6,
            ),
            stat(
                "Cost per 1k lines",
                f"{SPEND} / ({LINES_ADDED} / 1000)",
                "currencyUSD",
                decimals=2,
                width=6,
                description="Usage spend per thousand lines Claude Code added.",
            ),
            stat("Assisted commits", ASSISTED_COMMITS, width=6),
        ],
    )
    configured = Row(
        "Configured ROI assumptions (the exporter's roi settings; the variables at the top apply)",
        [
            stat(
                "Configured hourly rate",
                f"max({latest('agent_analytics_roi_hourly_rate_usd')})",
                "currencyUSD",
                width=12,
            ),
            stat(
                "Configured min per commit",
                f"max({latest('agent_analytics_roi_minutes_saved_per_assisted_commit')})",
                "m",
                width=12,
            ),
        ],
    )
    seats = Row(
        "Licence utilisation",
        [
            stat(
                "Copilot seats active this cycle",
                f"sum({COPILOT_SEATS_ACTIVE}) / sum({COPILOT_SEATS})",
                "percentunit",
                width=6,
            ),
            stat(
                "Copilot idle seats (30 days)",
                f"sum({COPILOT_SEATS_IDLE_30D})",
                width=6,
            ),
            stat(
                "Claude Code developers active (24h) / seats paid",
                f"sum({series.ACTIVE_DEVELOPERS_1D}{{{TEAM}}}) / sum({CLAUDE_SEATS_PAID})",
                "percentunit",
                width=6,
            ),
            stat(
                "Claude Code developers active in range",
                f"count({window(COST, PEOPLE_MODEL, by='developer_id')} > 0)",
                width=6,
            ),
        ],
    )
    reconcile = Row(
        "Reconciliation: telemetry and vendor APIs per developer",
        [
            table(
                f"{RECONCILED[agent]}: telemetry vs vendor API",
                [prom(q, name) for name, q in spending.reconciliation(agent, RANGE, PEOPLE_MODEL).items()],
                "currencyUSD",
                description="What telemetry and the vendor API each say the agent cost, and telemetry minus "
                "vendor; totals take one of them per developer (spend_source).",
            )
            for agent in spending.SPEND_SOURCE_AGENTS
        ],
    )
    coverage = Row(
        "Rollout coverage",
        [
            table(
                "Vendor API users init has not reached",
                [prom(q, name) for name, q in spending.coverage_gaps(RANGE, PEOPLE_MODEL, GIT).items()],
                width=24,
                description="People a vendor API saw using an agent in the time range who send no telemetry of "
                "that agent (0 under telemetry) or whose commits no git hook has seen (0 under git_hook).",
            )
        ],
    )
    variables = standard_variables() + [
        textbox_variable(
            "hourly_rate_usd", "Hourly rate (USD)", _default("hourly_rate_usd"), "Loaded cost of one engineering hour."
        ),
        textbox_variable(
            "minutes_per_commit",
            "Minutes saved per assisted commit",
            _default("minutes_saved_per_assisted_commit"),
            "Minutes saved per commit an agent helped with.",
        ),
    ]
    return dashboard(
        "aa-spend-roi",
        "AI spend & ROI",
        "What AI coding assistants cost, per team and developer, and what they return.",
        [spend, reconcile, coverage, efficiency, *roi.rows(SPEND, TOTAL), configured, seats, agents.row()],
        variables,
        tags=("spend", "roi"),
    )
