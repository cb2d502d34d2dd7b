"""4. GitHub Copilot: users, acceptance, lines, breakdowns, seats and data freshness. The
usage gauges describe the latest complete report day (GitHub publishes about two days late)."""

from .builder import Row, bars, dashboard, prom, stat, table, timeseries
from .common import standard_variables

P = "agent_analytics_copilot_"


def breakdown(by: str) -> list:
    return [
        prom(f"sum by ({by}) ({P}code_acceptance_activities_by_{by})", "accepted {{" + by + "}}"),
        prom(f"sum by ({by}) ({P}code_generation_activities_by_{by})", "generated {{" + by + "}}"),
    ]


def build() -> dict:
    usage = Row(
        "Usage (latest report day)",
        [
            stat("Daily active users", f"sum({P}daily_active_users)"),
            stat("Weekly active users", f"sum({P}weekly_active_users)"),
            stat("Monthly active users", f"sum({P}monthly_active_users)"),
            stat(
                "Acceptance rate",
                f"sum({P}code_acceptance_activities) / sum({P}code_generation_activities)",
                "percentunit",
            ),
            stat("Lines added", f"sum({P}loc_added)"),
            stat("Lines suggested", f"sum({P}loc_suggested_to_add)"),
            timeseries(
                "Active users",
                [
                    prom(f"sum({P}daily_active_users)", "daily"),
                    prom(f"sum({P}weekly_active_users)", "weekly"),
                    prom(f"sum({P}monthly_active_users)", "monthly"),
                ],
            ),
            bars(
                "Active users by surface",
                [prom(f"sum by (surface) ({P}active_users_by_surface)", "{{surface}}")],
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
                    prom(f"{P}team_active_users"),
                    prom(f"{P}team_code_acceptance_activities"),
                    prom(f"{P}team_loc_added"),
                    prom(f"{P}team_ai_credits_used"),
                ],
                width=24,
            ),
        ],
    )
    seats = Row(
        "Seats",
        [
            bars("Seats by state", [prom(f"sum by (state) ({P}seats)", "{{state}}")]),
            bars("Idle seats", [prom(f"sum by (days) ({P}seats_idle)", "idle {{days}} days")]),
            stat("Never used seats", f"sum({P}seats_never_used)", width=4),
            stat(
                "Monthly cost of seats idle 30 days",
                f'sum({P}seats_idle{{days="30"}}) * sum(agent_analytics_seat_price_monthly_usd{{agent="copilot"}})',
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
                f"time() - max({P}report_day_timestamp_seconds)",
                "s",
                width=8,
                thresholds=[(None, "green"), (4 * 86400, "red")],
            ),
            stat(
                "Since last successful poll",
                f"time() - max({P}last_success_timestamp_seconds)",
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
        standard_variables(),
        tags=("copilot",),
    )
