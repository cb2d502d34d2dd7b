"""5. Budgets: burn rates, budget left per team and the budget alerts that fire."""

from .builder import Row, alert_list, bars, dashboard, prom, table, timeseries
from .common import standard_variables
from .queries import TEAM

TELEMETRY_MTD = f"agent_team_developer:agent_telemetry_spend_usd:month_to_date{{{TEAM}}}"
VENDOR_MTD = f"agent_team:vendor_spend_usd:month_to_date{{{TEAM}}}"


def _part(series: str, part: str) -> str:
    """A label that keeps the two kinds of month-to-date series apart in `or`."""
    return f'label_replace({series}, "part", "{part}", "", "")'


BUDGET_ALERTS = "AgentSpendFastBurn|AgentSpendSlowBurn|AgentBudgetExhausted|AgentBudgetForecastOverrun"


def build() -> dict:
    overview = Row(
        "Budget per team (this month, UTC)",
        [
            table(
                "Budgets",
                [
                    prom(f"team:agent_budget_usd:monthly{{{TEAM}}}"),
                    prom(f"team:agent_spend_usd:month_to_date{{{TEAM}}}"),
                    prom(f"team:agent_budget_usd:remaining{{{TEAM}}}"),
                    prom(f"team:agent_spend_usd:forecast_month_end{{{TEAM}}}"),
                ],
                "currencyUSD",
                width=16,
            ),
            bars(
                "Spend by agent (month to date)",
                [
                    prom(
                        f"sum by (agent) ({_part(TELEMETRY_MTD, 'telemetry')} or {_part(VENDOR_MTD, 'vendor')})",
                        "{{agent}}",
                    )
                ],
                "currencyUSD",
                width=8,
                description="Telemetry (accumulated by the budget rules) and vendor API month to date (the "
                "exporter's), one source per agent and developer: what the budgets count.",
            ),
            bars(
                "Budget used",
                [
                    prom(
                        f"team:agent_spend_usd:month_to_date{{{TEAM}}}"
                        f" / on (team_id) team:agent_budget_usd:monthly{{{TEAM}}}",
                        "{{team_id}}",
                    )
                ],
                "percentunit",
                width=8,
                max_value=1,
                thresholds=[(None, "green"), (0.8, "orange"), (1, "red")],
            ),
        ],
    )
    burn = Row(
        "Burn rate (1 = the monthly budget spread evenly)",
        [
            timeseries(
                "Burn rate, 1 hour window",
                [prom(f"team:agent_spend_burn_rate:ratio_rate1h{{{TEAM}}}", "{{team_id}}")],
                thresholds=[(None, "green"), (14.4, "red")],
            ),
            timeseries(
                "Burn rate, 1 day window",
                [prom(f"team:agent_spend_burn_rate:ratio_rate1d{{{TEAM}}}", "{{team_id}}")],
                thresholds=[(None, "green"), (3, "red")],
            ),
            timeseries(
                "Month to date vs budget",
                [
                    prom(f"team:agent_spend_usd:month_to_date{{{TEAM}}}", "spent {{team_id}}"),
                    prom(f"team:agent_budget_usd:monthly{{{TEAM}}}", "budget {{team_id}}"),
                ],
                "currencyUSD",
                width=24,
            ),
        ],
    )
    alerts = Row(
        "Alerts",
        [
            table(
                "Firing budget and pipeline alerts",
                [
                    prom(
                        f'ALERTS{{alertstate="firing", alertname=~"{BUDGET_ALERTS}|AgentAnalyticsExporterDown'
                        f'|AgentAnalyticsCollectorDown|CopilotDataStale|LokiForwardingFailing"}}'
                    )
                ],
            ),
            alert_list("Alert rules (Prometheus)"),
        ],
    )
    return dashboard(
        "aa-budgets",
        "Budgets",
        "Monthly AI budgets per team: burn rates, what is left, and the alerts on them.",
        [overview, burn, alerts],
        standard_variables(),
        tags=("budgets",),
    )
