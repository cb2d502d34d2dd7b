"""5. Budgets: burn rates, budget left per team and the budget alerts that fire."""

from agent_analytics.vocabulary import facts, series

from .builder import Row, alert_list, bars, dashboard, prom, table, timeseries
from .common import variables
from .queries import TEAM

TELEMETRY_MTD = f"{series.TELEMETRY_MTD}{{{TEAM}}}"
VENDOR_MTD = f"{series.VENDOR_MTD}{{{TEAM}}}"
DAY_BURN = facts.SLOW_BURNS[0]  # the day-long burn condition of AgentSpendSlowBurn


def _part(series: str, part: str) -> str:
    """A label that keeps the two kinds of month-to-date series apart in `or`."""
    return f'label_replace({series}, "part", "{part}", "", "")'


BUDGET_ALERTS = "AgentSpendFastBurn|AgentSpendSlowBurn|AgentBudgetExhausted|AgentBudgetForecastOverrun"


def build() -> dict:
    overview = Row(
        "Budget per team (this month, UTC; usage spend: seat licences are not in team budgets)",
        [
            table(
                "Budgets",
                [
                    prom(f"{series.BUDGET}{{{TEAM}}}"),
                    prom(f"{series.MONTH_TO_DATE}{{{TEAM}}}"),
                    prom(f"{series.BUDGET_REMAINING}{{{TEAM}}}"),
                    prom(f"{series.FORECAST_MONTH_END}{{{TEAM}}}"),
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
                        f"{series.MONTH_TO_DATE}{{{TEAM}}} / on (team_id) {series.BUDGET}{{{TEAM}}}",
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
                [prom(f"{series.burn_rate(facts.FAST_BURN.long)}{{{TEAM}}}", "{{team_id}}")],
                thresholds=[(None, "green"), (facts.FAST_BURN.factor, "red")],
            ),
            timeseries(
                "Burn rate, 1 day window",
                [prom(f"{series.burn_rate(DAY_BURN.long)}{{{TEAM}}}", "{{team_id}}")],
                thresholds=[(None, "green"), (DAY_BURN.factor, "red")],
            ),
            timeseries(
                "Month to date vs budget",
                [
                    prom(f"{series.MONTH_TO_DATE}{{{TEAM}}}", "spent {{team_id}}"),
                    prom(f"{series.BUDGET}{{{TEAM}}}", "budget {{team_id}}"),
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
                        f'{series.ALERTS}{{alertstate="firing", alertname=~"{BUDGET_ALERTS}|AgentAnalyticsExporterDown'
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
        variables("team"),
        tags=("budgets",),
    )
