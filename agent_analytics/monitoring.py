"""Monitoring facts in one place, mixin style: the recording and alert rule generator
(prometheus/rules_src/build.py), the dashboards and `report` read series names, scrape jobs,
burn-rate windows and factors, alert thresholds and the runbook links from here.

A leaf module (only agent_analytics.facts below it), so that every generator can import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent_analytics.facts import JOB_COLLECTOR, JOB_EXPORTER, RETENTION, RETENTION_DAYS, SEAT_MONTH_SECONDS

__all__ = ["JOB_COLLECTOR", "JOB_EXPORTER", "RETENTION", "RETENTION_DAYS", "MONTH_SECONDS"]

# A seat month, the average month (a Gregorian year / 12); budgets use the calendar month.
MONTH_SECONDS = SEAT_MONTH_SECONDS
# How often the rules are evaluated (both groups); the month-to-date rule adds one interval of spend.
RULE_INTERVAL = "1m"
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: str) -> int:
    """ "5m" -> 300."""
    return int(duration[:-1]) * SECONDS[duration[-1]]


# --- raw series ---------------------------------------------------------------------------------

CLAUDE_COST = "claude_code_cost_usage_USD_total"
CLAUDE_TOKENS = "claude_code_token_usage_tokens_total"
GIT_COMMITS = "agent_analytics_git_commits_total"
BUDGET_MONTHLY = "agent_analytics_budget_monthly_usd"
COPILOT_REPORT_DAY = "agent_analytics_copilot_report_day_timestamp_seconds"
COPILOT_LAST_SUCCESS = "agent_analytics_copilot_last_success_timestamp_seconds"
COPILOT_UP = "agent_analytics_copilot_up"
VENDOR_NEWEST_DAY = "agent_analytics_vendor_newest_day_timestamp_seconds"
VENDOR_LAST_SUCCESS = "agent_analytics_vendor_last_success_timestamp_seconds"
VENDOR_UP = "agent_analytics_vendor_up"
LOKI_FORWARD_FAILURES = "agent_analytics_collector_loki_forward_failures_total"
OTELCOL_SEND_FAILED_LOGS = "otelcol_exporter_send_failed_log_records_total"
OTELCOL_ENQUEUE_FAILED_LOGS = "otelcol_exporter_enqueue_failed_log_records_total"
LOKI_EXPORTERS = 'exporter=~".*loki.*"'  # the collector's Loki exporters, whatever their id


def up(job: str) -> str:
    return f'up{{job="{job}"}}'


# --- recorded series ----------------------------------------------------------------------------

COST_1H = "team_developer_model:claude_code_cost_usd:increase1h"
COST_1D = "team_developer_model:claude_code_cost_usd:increase1d"
TOKENS_1H = "team_model_type:claude_code_tokens:increase1h"
ACTIVE_DEVELOPERS_1D = "team:claude_code_active_developers:count1d"
COMMITS_1D = "team_agent_evidence:git_commits:increase1d"
ASSISTED_COMMITS_RATIO = "team:git_assisted_commits:ratio"

BUDGET = "team:agent_budget_usd:monthly"
BUDGET_PER_SECOND = "team:agent_budget_usd:per_second"
BUDGET_REMAINING = "team:agent_budget_usd:remaining"
TELEMETRY_SENT = "agent_developer:telemetry_sent:1d"
VENDOR_PACE = "team:agent_vendor_spend_usd:pace1d"
TELEMETRY_RATE = "agent_team_developer:agent_telemetry_spend_usd:rate5m"
TELEMETRY_MTD = "agent_team_developer:agent_telemetry_spend_usd:month_to_date"
VENDOR_MTD = "agent_team:vendor_spend_usd:month_to_date"
MONTH_TO_DATE = "team:agent_spend_usd:month_to_date"
BUDGET_MONTH = "agent_analytics:budget_month:month"
FORECAST_MONTH_END = "team:agent_spend_usd:forecast_month_end"


def spend_rate(window: str) -> str:
    return f"team:agent_spend_usd:rate{window}"


def burn_rate(window: str) -> str:
    return f"team:agent_spend_burn_rate:ratio_rate{window}"


# --- budget burn --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BurnCondition:
    """Burn rate above `factor` over the long window (it is real) and the short one (still going on)."""

    long: str
    short: str
    factor: float

    @property
    def share_of_month(self) -> float:
        """The share of a 30-day month's budget this burn spends over the long window."""
        return self.factor * seconds(self.long) / (30 * 86400)


# 14.4x for an hour spends 2% of the month; 6x for 6 hours 5%; 3x for a day spends it in ten days
FAST_BURN = BurnCondition("1h", "5m", 14.4)
SLOW_BURNS = (BurnCondition("1d", "2h", 3), BurnCondition("6h", "30m", 6))
FAST_BURN_FOR = "2m"
SLOW_BURN_FOR = "15m"
FORECAST_FOR = "1h"
BURN_WINDOWS = tuple(
    sorted({w for c in (FAST_BURN, *SLOW_BURNS) for w in (c.long, c.short)}, key=seconds)
)  # 5m 30m 1h 2h 6h 1d

# --- the pipeline -------------------------------------------------------------------------------

SCRAPE_DOWN_FOR = "5m"
COPILOT_STALE_DAYS = 4  # reports land about two days late
VENDOR_STALE_DAYS = 3  # a vendor gives a day once it is over (Anthropic's an hour later)
NO_SUCCESS_HOURS = 6  # no successful poll of a Copilot or vendor source for this long: stale
STALE_FOR = "30m"
VENDOR_DOWN_HOURS = 2  # two polls at the default interval: one failed poll is no outage
VENDOR_DOWN_FOR = "10m"
LOKI_FAILURE_WINDOW = "10m"
LOKI_FAILING_FOR = "10m"

# --- runbooks -----------------------------------------------------------------------------------

# The documentation site (mkdocs.yml `site_url`; a test holds the two equal) and its runbooks page
# (docs/runbooks.md). `prometheus/rules_src/build.py --runbook-base-url URL` writes the rules with
# another base (an internal wiki, a fork's site).
DOCS_URL = "https://agent-analytics.github.io/agent-analytics/"
RUNBOOK_BASE_URL = f"{DOCS_URL}runbooks/"


def runbook_anchor(alert: str) -> str:
    """The id of the alert's section on the runbooks page (`## <Alert> {#runbook-<alert>}`)."""
    return f"runbook-{alert.lower()}"


def runbook_url(alert: str, base: str = RUNBOOK_BASE_URL) -> str:
    return f"{base.rstrip('#')}#{runbook_anchor(alert)}"
