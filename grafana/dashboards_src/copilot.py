"""4. GitHub Copilot: users, acceptance, lines, breakdowns, seats and data freshness. The
usage gauges describe the latest complete report day (GitHub publishes about two days late)."""

from agent_analytics.vocabulary import series
from agent_analytics.vocabulary.figures import Scope
from agent_analytics.vocabulary.promql import latest

from .builder import Row, bars, dashboard, prom, query_variable, stat, table, timeseries
from .figure_panels import bars_of, stat_of

S = Scope("$__range", "$__range_s")  # Copilot's figures are the organisation's: no people to pick
# GitHub's teams, as the Copilot reports name them (label `team`): the Teams table's filter
GITHUB_TEAM = 'team=~"$github_team"'

P = "agent_analytics_copilot_"


IDLE_30D = 'days="30"'
COPILOT_SEAT_PRICE = latest(series.SEAT_PRICE, 'agent="copilot"')


def last(name: str, labels: str = "") -> str:
    """The newest value of the gauge agent_analytics_copilot_<name> in the time range."""
    return latest(P + name, labels)


def last_step(name: str) -> str:
    """The same per graph step (time series panels, at least an hour: see `interval`)."""
    return latest(P + name, span="$__interval")


def breakdown(by: str) -> list:
    return [
        prom(f"sum by ({by}) ({last('code_acceptance_activities_by_' + by)})", "accepted {{" + by + "}}"),
        prom(f"sum by ({by}) ({last('code_generation_activities_by_' + by)})", "generated {{" + by + "}}"),
    ]


def build() -> dict:
    usage = Row(
        "Usage (latest report day)",
        [
            stat("Daily active users", f"sum({last('daily_active_users')})"),
            stat("Weekly active users", f"sum({last('weekly_active_users')})"),
            stat("Monthly active users", f"sum({last('monthly_active_users')})"),
            stat(
                "Acceptance rate (latest report day)",
                f"sum({last('code_acceptance_activities')}) / sum({last('code_generation_activities')})",
                "percentunit",
            ),
            stat_of("copilot.acceptance_rate", S, width=4),
            stat("Lines added", f"sum({last('loc_added')})"),
            stat("Lines suggested", f"sum({last('loc_suggested_to_add')})"),
            timeseries(
                "Active users",
                [
                    prom(f"sum({last_step('daily_active_users')})", "daily"),
                    prom(f"sum({last_step('weekly_active_users')})", "weekly"),
                    prom(f"sum({last_step('monthly_active_users')})", "monthly"),
                ],
                # the exporter refreshes these once per poll, demo and backfill once an hour
                interval="1h",
            ),
            bars(
                "Active users by surface",
                [prom(f"sum by (surface) ({last('active_users_by_surface')})", "{{surface}}")],
                width=12,
            ),
        ],
    )
    breakdowns = Row(
        "Breakdowns (latest report day)",
        [
            bars("By IDE", breakdown("ide"), width=6),
            bars("By language", breakdown("language"), width=6),
            bars("By model", breakdown("model"), width=6),
            bars("By feature", breakdown("feature"), width=6),
            table(
                "Teams",
                [
                    prom(last("team_active_users", GITHUB_TEAM)),
                    prom(last("team_code_acceptance_activities", GITHUB_TEAM)),
                    prom(last("team_loc_added", GITHUB_TEAM)),
                    prom(last("team_ai_credits_used", GITHUB_TEAM)),
                ],
                width=24,
            ),
        ],
    )
    seats = Row(
        "Seats",
        [
            bars_of("copilot.seats", S),
            bars("Idle seats", [prom(f"sum by (days) ({last('seats_idle')})", "idle {{days}} days")]),
            stat("Never used seats", f"sum({last('seats_never_used')})", width=4),
            stat(
                "Monthly cost of seats idle 30 days",
                f"sum({last('seats_idle', IDLE_30D)}) * sum({COPILOT_SEAT_PRICE})",
                "currencyUSD",
                width=4,
            ),
        ],
    )
    freshness = Row(
        "Data freshness",
        [
            stat(
                "Report day age",
                f"time() - max({last('report_day_timestamp_seconds')})",
                "s",
                width=8,
                thresholds=[(None, "green"), (4 * 86400, "red")],
            ),
            stat(
                "Since last successful poll",
                f"time() - max({last('last_success_timestamp_seconds')})",
                "s",
                width=8,
                thresholds=[(None, "green"), (6 * 3600, "red")],
            ),
            table("Poll errors", [prom(f"sum by (endpoint, reason) ({P}poll_errors_total)")], width=8),
        ],
    )
    return dashboard(
        "aa-copilot",
        "GitHub Copilot",
        "Copilot users, acceptance, lines, breakdowns by IDE/language/model/feature, seats and data "
        "freshness, from the Copilot usage metrics API.",
        [usage, breakdowns, seats, freshness],
        [query_variable("github_team", "GitHub team", f"label_values({series.COPILOT_TEAM_ACTIVE}, team)")],
        tags=("copilot",),
    )
