"""Monitoring facts in one place, mixin style: the numbers the recording and alert rule generator
(prometheus/rules_src/build.py), the dashboards, `report`, `up`, `demo` and `backfill` share:
scrape jobs, retention, burn-rate windows and factors, alert thresholds, ROI defaults and the
runbook links. Series names are in agent_analytics.vocabulary.series.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_SECONDS = 86400

# ROI assumptions used when neither a flag nor the exporter's roi config gives one (`report`),
# and the defaults of the ROI dashboard's variables. The presets of agent_analytics/vocabulary/roi.py price
# their hours at the hourly rate; minutes per assisted commit is the operator's own estimate.
ROI_DEFAULTS = {
    "hourly_rate_usd": 75.0,
    "minutes_saved_per_assisted_commit": 15.0,
}

# Seat prices are monthly; a window pays its share of an average month (a Gregorian year / 12).
SEAT_MONTH_SECONDS = int(365.25 / 12 * DAY_SECONDS)

# How long `up`'s Prometheus keeps data; `backfill` leaves older history out.
RETENTION_DAYS = 400
RETENTION = f"{RETENTION_DAYS}d"

# Prometheus scrape jobs of the stack (up{job=...} in the alerts, the job label of demo history).
JOB_PROMETHEUS = "prometheus"
JOB_COLLECTOR = "collector"
JOB_EXPORTER = "exporter"

# How far back each vendor organisation API answers (`backfill vendor` without --days). Cursor
# keeps a rolling window of usage events only.
VENDOR_HISTORY_DAYS = {"anthropic": 90, "anthropic_enterprise": 90, "cursor": 30, "openai": 90}


# How often the rules are evaluated (both groups); the month-to-date rule adds one interval of spend.
RULE_INTERVAL = "1m"
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: str) -> int:
    """ "5m" -> 300."""
    return int(duration[:-1]) * SECONDS[duration[-1]]


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
# `up` restarting a child process (agent_analytics_stack_restarts_total): more restarts than this
# within the window is a ticket; a crash loop (5 within a minute) ends `up` itself
RESTARTS_WINDOW = "1h"
RESTARTS_MAX = 2

# --- telemetry that stopped ---------------------------------------------------------------------

# A developer a vendor organisation API saw using an agent (or, for the git hook, committing with it)
# on a day that ended within the last VENDOR_DAY_SPAN, who sent that agent's telemetry (or whose
# hook delivered such commits) within ONBOARDED_SPAN but none for QUIET_DAYS: the vendor's day lies
# wholly in the quiet time, so a holiday (no use, no telemetry) never fires.
VENDOR_DAY_SPAN = "1d"
QUIET_DAYS = 2
ONBOARDED_SPAN = "30d"
ONBOARDED_STEP = "1h"  # the onboarding look-back reads the recorded series once an hour
TELEMETRY_STOPPED_FOR = "1h"
ROLLOUT_RULE_INTERVAL = "5m"  # it reads daily figures over days: every 5 minutes is soon enough

# --- notifications (Alertmanager) ---------------------------------------------------------------

# Debian's package of Alertmanager (0.25, with amtool); its server binary has the same name
ALERTMANAGER_PACKAGE = "prometheus-alertmanager"
SEVERITIES = ("page", "ticket")  # the `severity` label of every alert: a pager or a ticket channel
# Alertmanager groups one notification per alert and team; `page` repeats sooner than `ticket`
GROUP_BY = ("alertname", "team_id")
GROUP_WAIT = "30s"
GROUP_INTERVAL = "5m"
REPEAT_INTERVAL = {"page": "4h", "ticket": "24h"}
# The budget alerts: they carry the team's figures and a link to the Budgets dashboard
BUDGET_ALERTS = ("AgentSpendFastBurn", "AgentSpendSlowBurn", "AgentBudgetExhausted", "AgentBudgetForecastOverrun")


@dataclass(frozen=True)
class Inhibition:
    """While `source` fires, `targets` with the same values of `equal` notify nobody."""

    source: str
    targets: tuple[str, ...]
    equal: tuple[str, ...] = ()
    why: str = ""


INHIBITIONS = (
    Inhibition(
        "AgentBudgetExhausted",
        ("AgentSpendFastBurn", "AgentSpendSlowBurn", "AgentBudgetForecastOverrun"),
        ("team_id",),
        "a team whose budget is gone is told so once, not also that it burns or will overrun it",
    ),
    Inhibition(
        "AgentAnalyticsCollectorDown",
        ("AgentTelemetryStopped", "LokiForwardingFailing"),
        why="with the collector down every developer's telemetry stops and no event reaches Loki",
    ),
    Inhibition(
        "AgentAnalyticsExporterDown",
        ("CopilotDataStale", "VendorDataStale", "VendorApiDown"),
        why="the exporter polls GitHub and the vendors: its outage makes their data stale",
    ),
)

# The Budgets dashboard (grafana/dashboards/budgets.json): its uid, URL slug and team variable.
# A budget alert links it filtered to its team, under Grafana's external URL.
BUDGETS_DASHBOARD_UID = "aa-budgets"
BUDGETS_DASHBOARD_SLUG = "budgets"
BUDGETS_TEAM_VARIABLE = "team"
GRAFANA_URL = "http://localhost:3000"  # Grafana of compose.yaml as the machine running it sees it


def budgets_dashboard_url(grafana_url: str, team: str) -> str:
    base = grafana_url.rstrip("/")
    return f"{base}/d/{BUDGETS_DASHBOARD_UID}/{BUDGETS_DASHBOARD_SLUG}?var-{BUDGETS_TEAM_VARIABLE}={team}"


# --- plan limits (Claude Code's status line; agent_analytics/vocabulary/plan_limits.py) -----------

PLAN_NEAR_LIMIT = 0.9  # "reached 90%" of a 5-hour window
PLAN_AT_LIMIT = 1.0  # at the limit: the window is used up until it resets
PLAN_FIT_SHARE = 0.8  # a smaller plan fits when the weekly peak would fill at most this share of it
PLAN_LIMIT_STEP = "5m"  # readings are taken this often over a range (subquery step): hours at the limit to 5 min
PLAN_LIMIT_ALERT_DAYS = 3  # days of the last week on which a team's developers were at the 5-hour limit
PLAN_LIMIT_ALERT_SPAN = "7d"
# A week of readings: a ticket alert is evaluated, and reads the week, every quarter of an hour
PLAN_LIMIT_ALERT_INTERVAL = "15m"

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
