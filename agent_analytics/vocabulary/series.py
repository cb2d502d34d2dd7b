"""Every series name the product writes or reads, declared once with its type, labels and meaning.

Producers (the collector's own metrics, the exporter, the history writers) and readers (the
recording rules, the dashboards, `report`) import the names from here; exporter/METRICS.md is
rendered from these declarations (`metrics_doc.render()`), and the suite checks that every name
in a dashboard, a rule or a `report` query is one of them (`known_names()`).

A `Series` is the name itself (a str), so it goes into PromQL and f-strings as it is; for a
counter the name carries `_total` as Prometheus stores it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from agent_analytics.vocabulary.copilot_fields import ACTIVE_USERS, BREAKDOWNS, IDLE_DAYS, MEASURES, SEAT_STATES

COUNTER, GAUGE, HISTOGRAM, RECORDED = "counter", "gauge", "histogram", "recorded"


class Series(str):
    """A series name with its type, label names and meaning."""

    kind: str
    help: str
    labels: tuple[str, ...]

    def __new__(cls, name: str, kind: str, help: str, labels: str = "") -> Series:
        self = super().__new__(cls, name)
        self.kind, self.help, self.labels = kind, help, tuple(labels.split())
        return self

    def __reduce__(self):  # copied and pickled as the declaration it is (dataclasses.asdict copies)
        return Series, (str(self), self.kind, self.help, " ".join(self.labels))

    def family(self, labels: list[str] | None = None, value: float | None = None):
        """An empty prometheus_client family of this series (its labels unless others are given)."""
        kind = {COUNTER: CounterMetricFamily, GAUGE: GaugeMetricFamily, HISTOGRAM: HistogramMetricFamily}[self.kind]
        if value is not None:
            return kind(str(self), self.help, value=value)
        return kind(str(self), self.help, labels=list(self.labels if labels is None else labels))

    @property
    def base(self) -> str:
        """The name prometheus_client is given: a counter without its `_total`."""
        return self.removesuffix("_total") if self.kind == COUNTER else str(self)


@dataclass
class Section:
    """A group of series as METRICS.md shows it: a heading, what holds for all of them, the rows."""

    title: str
    intro: str = ""
    series: list[Series] = field(default_factory=list)
    in_metrics_doc: bool = True
    level: int = 2

    def add(self, name: str, kind: str, help: str, labels: str = "") -> Series:
        s = Series(name, kind, help, labels)
        self.series.append(s)
        return s


SECTIONS: list[Section] = []


def section(title: str, intro: str = "", in_metrics_doc: bool = True, level: int = 2) -> Section:
    s = Section(title, intro.strip(), in_metrics_doc=in_metrics_doc, level=level)
    SECTIONS.append(s)
    return s


# --- agent telemetry (OTLP metric names as the collector exposes them) -------------------------

_t = section(
    "Agent telemetry",
    "What the agents send over OTLP, as the collector (either form) names it in Prometheus.",
    in_metrics_doc=False,
)
CLAUDE_COST = _t.add("claude_code_cost_usage_USD_total", COUNTER, "Claude Code cost in USD", "model")
CLAUDE_TOKENS = _t.add("claude_code_token_usage_tokens_total", COUNTER, "Claude Code tokens", "model type")
CLAUDE_SESSIONS = _t.add("claude_code_session_count_total", COUNTER, "Claude Code sessions started")
CLAUDE_ACTIVE_TIME = _t.add("claude_code_active_time_seconds_total", COUNTER, "Claude Code active time", "type")
CLAUDE_LINES = _t.add("claude_code_lines_of_code_count_total", COUNTER, "Lines Claude Code changed", "type")
CLAUDE_COMMITS = _t.add("claude_code_commit_count_total", COUNTER, "Commits Claude Code made")
CLAUDE_PULL_REQUESTS = _t.add("claude_code_pull_request_count_total", COUNTER, "Pull requests Claude Code made")
CLAUDE_EDIT_DECISIONS = _t.add(
    "claude_code_code_edit_tool_decision_total", COUNTER, "Edit tool decisions", "tool_name decision language"
)
GEMINI_TOKENS = _t.add("gemini_cli_token_usage_total", COUNTER, "Gemini CLI tokens", "model type")
# Gemini CLI releases that declare the unit `tokens` give the same counter a `_tokens` in its name
GEMINI_TOKENS_ANY_UNIT = '{__name__=~"gemini_cli_token_usage.*_total"}'
GEMINI_REQUESTS = _t.add("gemini_cli_api_request_count_total", COUNTER, "Gemini CLI API requests", "model")
CODEX_TOKENS = _t.add("codex_turn_token_usage_sum", COUNTER, "Codex tokens of its turns", "model token_type")
CODEX_REQUESTS = _t.add("codex_api_request_total", COUNTER, "Codex API requests", "model")
COPILOT_CLI_INPUT_TOKENS = _t.add(
    "gen_ai_client_inference_usage_input_tokens_total", COUNTER, "Copilot CLI input tokens", "gen_ai_request_model"
)
COPILOT_CLI_OUTPUT_TOKENS = _t.add(
    "gen_ai_client_inference_usage_output_tokens_total", COUNTER, "Copilot CLI output tokens", "gen_ai_request_model"
)
COPILOT_CLI_REQUESTS = _t.add(
    "gen_ai_client_inference_duration_seconds_count", COUNTER, "Copilot CLI model requests", "gen_ai_request_model"
)

# --- plan limits: Claude Code's status line, sent by `agent-analytics statusline` ---------------------

_pl = section(
    "Plan limits (Claude Code's status line, through the collector)",
    """
The `rate_limits` of the JSON Claude Code passes to its status line command, as the status line
bridge `init` installs sends them (at most once a minute). A reading stands until the window
resets: the collector keeps showing it after that, so read these series through
agent_analytics/vocabulary/plan_limits.py, which keeps only readings whose reset time is ahead.
`window`: `5h`, `7d`, or the client's own key of any further window; `plan`: what `init --plan`
named (absent when not given).
""",
    in_metrics_doc=False,
)
PLAN_QUOTA_LABELS = "developer_id team_id window plan"
PLAN_QUOTA_USED = _pl.add(
    "agent_analytics_plan_quota_used_ratio", GAUGE, "Share of the window's allowance used (0-1)", PLAN_QUOTA_LABELS
)
PLAN_QUOTA_RESET = _pl.add(
    "agent_analytics_plan_quota_reset_time_seconds", GAUGE, "When the window resets (unix seconds)", PLAN_QUOTA_LABELS
)

# --- the exporter: git ---------------------------------------------------------------------------

GIT_LABELS = "repo developer_id team_id agent evidence"
# The values of the `agent` label of commits (and of seat prices, without `none`)
AGENTS = ("claude-code", "copilot", "codex", "cursor", "aider", "devin", "gemini-cli", "other-ai", "none")
_g = section(
    "Git (sums over the commit store; a restart gives the same values)",
    """
The counters below count commits made since the repository's live start, within 5 minutes of
arriving. Everything else is written by the exporter into Prometheus at the commits' own times
(remote write, the same names and labels plus `source="backfill"`, and `lane` where a label set
needed a second series): add both, as dashboards do.
""",
)
GIT_COMMITS = _g.add(
    "agent_analytics_git_commits_total",
    COUNTER,
    "Commits, each (repo, sha) counted once whether the scan or the hook saw it first",
    GIT_LABELS,
)
GIT_LINES_ADDED = _g.add(
    "agent_analytics_git_lines_added_total", COUNTER, "Lines added (`--numstat`; binary files count 0)", GIT_LABELS
)
GIT_LINES_DELETED = _g.add("agent_analytics_git_lines_deleted_total", COUNTER, "Lines deleted", GIT_LABELS)
GIT_FILES_CHANGED = _g.add("agent_analytics_git_files_changed_total", COUNTER, "Files changed", GIT_LABELS)
# What one commit (anything with lines_added, lines_deleted and files_changed) adds to each counter.
GIT_COUNTERS = {
    GIT_COMMITS: lambda c: 1,
    GIT_LINES_ADDED: lambda c: c.lines_added,
    GIT_LINES_DELETED: lambda c: c.lines_deleted,
    GIT_FILES_CHANGED: lambda c: c.files_changed,
}
# The label that history written at its own past times (`backfill`, late commits) carries
# beside a live series' labels.
HISTORY_LABELS = {"source": "backfill"}
GIT_LAST_COMMIT = _g.add(
    "agent_analytics_git_last_commit_timestamp_seconds",
    GAUGE,
    "Commit time (unix seconds) of the newest commit known for the repo",
    "repo",
)
GIT_LAST_SCAN = _g.add(
    "agent_analytics_git_last_scan_timestamp_seconds",
    GAUGE,
    "When the last successful scan of the repo finished",
    "repo",
)
GIT_SCAN_DURATION = _g.add(
    "agent_analytics_git_scan_duration_seconds", GAUGE, "Duration of the last scan of the repo", "repo"
)
GIT_SCAN_ERRORS = _g.add(
    "agent_analytics_git_scan_errors_total",
    COUNTER,
    "Scans that failed (missing path, not a repository, git error)",
    "repo",
)
GIT_LIVE_START = _g.add(
    "agent_analytics_git_live_start_timestamp_seconds",
    GAUGE,
    "From this time on the repository's fresh commits raise the counters above; earlier ones are history",
    "repo",
)
GIT_HELD_COMMITS = _g.add(
    "agent_analytics_git_held_commits",
    GAUGE,
    "Commits a scan found while the exporter was down, waiting for the git hook's record",
)
HISTORY_PENDING = _g.add(
    "agent_analytics_history_pending_increments",
    GAUGE,
    "History increments not yet written into Prometheus (`prometheus_url` unset or unreachable)",
)
TIME_TO_COMMIT = _g.add(
    "agent_analytics_session_time_to_commit_seconds",
    HISTOGRAM,
    "From the first prompt of the agent session a commit was made in (the hook's `CLAUDE_CODE_SESSION_ID`; its "
    "first `user_prompt` event in Loki, `loki_url`) to the commit time; each commit once, buckets 1 min to 1 day",
    "developer_id team_id agent",
)
COMMITTING_SESSIONS = _g.add(
    "agent_analytics_committing_sessions_total",
    COUNTER,
    "Agent sessions that made at least one commit (the hook's session ids; Loki not needed); its growth over a "
    "window is the sessions whose first commit came in it",
    "developer_id team_id agent",
)
SESSION_LOOKUP_ERRORS = _g.add(
    "agent_analytics_session_lookup_errors_total",
    COUNTER,
    "Session start lookups in Loki that failed (retried at the next scan round)",
)
HISTORY_WRITE_ERRORS = _g.add(
    "agent_analytics_history_write_errors_total",
    COUNTER,
    "Failed attempts to write history (retried every scan interval)",
)
INGEST_REQUESTS = _g.add(
    "agent_analytics_ingest_requests_total", COUNTER, "Requests to `POST /api/v1/commits` by HTTP status code", "code"
)
INGEST_COMMITS = _g.add(
    "agent_analytics_ingest_commits_total",
    COUNTER,
    "Commits received by the ingest API: `result` = `accepted` or `duplicate`",
    "result",
)

# --- the exporter: configuration ------------------------------------------------------------------

_c = section("From the configuration (gauges)")
BUDGET_MONTHLY = _c.add(
    "agent_analytics_budget_monthly_usd", GAUGE, "`budgets`: monthly budget of the team in USD", "team_id"
)
SEAT_PRICE = _c.add(
    "agent_analytics_seat_price_monthly_usd", GAUGE, "`seat_prices`: price of one seat per month in USD", "agent"
)
SEATS_PAID = _c.add(
    "agent_analytics_seats_paid",
    GAUGE,
    "`seats`: seats paid for agents without a seat API (e.g. claude-code, cursor)",
    "agent",
)
ROI_TIERS = ("light", "moderate", "heavy")
ROI_SETTINGS = {  # key of the exporter's `roi` config -> its gauge
    "hourly_rate_usd": _c.add(
        "agent_analytics_roi_hourly_rate_usd", GAUGE, "`roi.hourly_rate_usd`: loaded cost of one engineering hour"
    ),
    "minutes_saved_per_accepted_line": _c.add(
        "agent_analytics_roi_minutes_saved_per_accepted_line",
        GAUGE,
        "`roi.minutes_saved_per_accepted_line` (shown, not used by any estimate: lines are in the assisted commits)",
    ),
    "minutes_saved_per_assisted_commit": _c.add(
        "agent_analytics_roi_minutes_saved_per_assisted_commit", GAUGE, "`roi.minutes_saved_per_assisted_commit`"
    ),
    **{
        f"hours_saved_per_week_{tier}": _c.add(
            f"agent_analytics_roi_hours_saved_per_week_{tier}",
            GAUGE,
            f"`roi.hours_saved_per_week_{tier}`: your preset's hours saved per {tier} developer per week",
        )
        for tier in ROI_TIERS
    },
    "output_uplift": _c.add(
        "agent_analytics_roi_output_uplift",
        GAUGE,
        "`roi.output_uplift`: your preset's extra output per developer-day with an agent (0.1 = 10%)",
    ),
}
PLAN_PRICE = _c.add(
    "agent_analytics_plan_price_monthly_usd",
    GAUGE,
    "Price of one seat of a Claude plan per month in USD: `plan_prices`, else the list price "
    "(agent_analytics/vocabulary/plans.yaml)",
    "plan",
)
SPEND_SOURCE = _c.add(
    "agent_analytics_spend_source",
    GAUGE,
    "`spend_source`: 1 for where the agent's spend is taken from (`auto`, `telemetry`, `vendor_api`), for "
    "claude-code and codex",
    "agent source",
)

_p = section("Token prices (genai-prices)")
TOKEN_PRICE = _p.add(
    "agent_analytics_token_price_usd",
    GAUGE,
    "USD per token of the agent's token type for the model (`type` for gemini-cli, `token_type` for codex); tokens "
    "x price summed over the types is the table's price (agent_analytics/vocabulary/priced_tokens.yaml says how "
    "each type is charged). Models: those the file lists plus those the agents' token series carry in Prometheus",
    "agent model",
)

# --- the exporter: GitHub Copilot --------------------------------------------------------------

COPILOT = "agent_analytics_copilot_"
_cp = section(
    "GitHub Copilot (usage metrics API, `X-GitHub-Api-Version: 2026-03-10`)",
    """
Daily reports land about two days late and cannot be scraped "in the past": the usage gauges
below hold the **latest complete report day**, whose date is
`agent_analytics_copilot_report_day_timestamp_seconds`. A failed poll keeps the last good values.
The Copilot families are gauges of GitHub's report fields (agent_analytics/vocabulary/copilot_fields.py).
""",
)
COPILOT_REPORT_DAY = _cp.add(
    COPILOT + "report_day_timestamp_seconds",
    GAUGE,
    "Midnight UTC of the day the usage gauges describe, per report (`organization-1-day`, `users-1-day`, ...)",
    "scope report",
)
COPILOT_LAST_SUCCESS = _cp.add(
    COPILOT + "last_success_timestamp_seconds", GAUGE, "When a poll of the scope last completed without error", "scope"
)
COPILOT_POLL_ERRORS = _cp.add(
    COPILOT + "poll_errors_total",
    COUNTER,
    "Failed requests after retries. `endpoint`: organization-1-day, organization-28-day, enterprise-1-day, "
    "enterprise-28-day, users-1-day, user-teams-1-day, repos-1-day, billing, seats, download (the NDJSON behind a "
    "link), token (no token in the variable), or usage/users/repos/seats for a payload of unexpected shape. "
    "`reason`: unauthorized (401), forbidden (403), not_found (404), rate_limited (429 / secondary limit after "
    "retries), server_error (5xx after retries), network, bad_payload, no_token",
    "endpoint reason",
)
COPILOT_UP = _cp.add(COPILOT + "up", GAUGE, "1 when the last poll of the scope succeeded, else 0", "scope")

_cu = section(
    "Copilot usage, latest report day (gauges; `organization-1-day` / enterprise `enterprise-1-day`)", level=3
)
COPILOT_USAGE = {
    **{name: _cu.add(COPILOT + name, GAUGE, f"`{name}`", "scope") for name in ACTIVE_USERS},
    **{name: _cu.add(COPILOT + name, GAUGE, f"`{field}`", "scope") for name, field in MEASURES.items()},
}
COPILOT_PULL_REQUESTS = _cu.add(
    COPILOT + "pull_requests",
    GAUGE,
    "Numeric fields of the record's `pull_requests` object, `kind` = field name (e.g. `total_created`)",
    "scope kind",
)
_cb = section(
    "Copilot breakdowns (gauges, latest report day)",
    """
`ide` from `totals_by_ide[]`, `feature` from `totals_by_feature[]`, `language` from
`totals_by_language_feature[]` / `totals_by_language_model[]` (summed per language), `model` from
`totals_by_model_feature[]` / `totals_by_language_model[]` (summed per model). Each keeps the
`copilot.max_label_values` largest values; the rest fold into `other`.
""",
    level=3,
)
COPILOT_BREAKDOWNS = {
    (name, label): _cb.add(f"{COPILOT}{name}_by_{label}", GAUGE, f"`{field}` by {label}", f"scope {label}")
    for label in BREAKDOWNS
    for name, field in MEASURES.items()
}
_cus = section(
    "Copilot per user figures, aggregated (gauges; `users-1-day` joined with `user-teams-1-day`)",
    """
A user in several teams counts in each of them; users in no team are not in any `team_*` series.
Teams come from `team_slug` (else `team_name`, `team_id`) of `user-teams-1-day`, users are
matched on `user_id` or `user_login`. Without a user-teams report for the day there are no
`team_*` usage series.
""",
    level=3,
)
COPILOT_ACTIVE_BY_SURFACE = _cus.add(
    COPILOT + "active_users_by_surface",
    GAUGE,
    "Users of the day with `used_agent` / `used_chat` / `used_cli` true (`surface` = agent, chat, cli)",
    "scope surface",
)
COPILOT_AI_CREDITS = _cus.add(
    COPILOT + "ai_credits_used", GAUGE, "Sum of `ai_credits_used` over the day's users", "scope"
)
COPILOT_TEAM_ACTIVE = _cus.add(
    COPILOT + "team_active_users", GAUGE, "Users of the team present in the day's user report", "scope team"
)
COPILOT_TEAM = {
    name: _cus.add(f"{COPILOT}team_{name}", GAUGE, f"`{field}` summed over the team's users", "scope team")
    for name, field in MEASURES.items()
    if name != "loc_suggested_to_delete"
}
COPILOT_TEAM_AI_CREDITS = _cus.add(
    COPILOT + "team_ai_credits_used", GAUGE, "Sum of `ai_credits_used` over the team's users", "scope team"
)
_crp = section(
    "Copilot repositories (gauges; `repos-1-day`)",
    "`repo` keeps the `copilot.max_label_values` busiest repositories; the rest fold into `other`.",
    level=3,
)
COPILOT_REPO_PULL_REQUESTS = _crp.add(
    COPILOT + "repo_pull_requests",
    GAUGE,
    "Numeric fields of each repository record's `pull_requests` object",
    "scope repo kind",
)
COPILOT_REPO = {
    name: _crp.add(f"{COPILOT}repo_{name}", GAUGE, f"`{field}` per repository", "scope repo")
    for name, field in MEASURES.items()
}
_cs = section("Copilot seats (gauges; `/copilot/billing` and `/copilot/billing/seats`, all pages)", level=3)
COPILOT_SEATS = _cs.add(
    COPILOT + "seats",
    GAUGE,
    "`seat_breakdown` of `/orgs/{org}/copilot/billing`: `state` = "
    + ", ".join(SEAT_STATES)
    + "; for an enterprise `total` from the seat list",
    "scope state",
)
COPILOT_SEATS_BY_PLAN = _cs.add(COPILOT + "seats_by_plan", GAUGE, "Assigned seats by `plan_type`", "scope plan_type")
COPILOT_SEATS_NEVER_USED = _cs.add(COPILOT + "seats_never_used", GAUGE, "Seats with no `last_activity_at`", "scope")
COPILOT_SEATS_IDLE = _cs.add(
    COPILOT + "seats_idle",
    GAUGE,
    f"Seats with no activity in the last `days` ({', '.join(map(str, IDLE_DAYS))}) days, never-used seats included",
    "scope days",
)
COPILOT_TEAM_SEATS = _cs.add(
    COPILOT + "team_seats", GAUGE, "Seats assigned through a team (`assigning_team.slug`)", "scope team"
)
COPILOT_TEAM_SEATS_IDLE = _cs.add(
    COPILOT + "team_seats_idle", GAUGE, "Those of them idle for `days` days", "scope team days"
)

# --- the exporter: vendor organisation APIs -------------------------------------------------------

VENDOR = "agent_analytics_vendor_"
_vd = section(
    "Vendor organisation APIs: day samples (written into Prometheus by remote write, not on `/metrics`)",
    """
Each sample is an amount for the UTC day it is stamped in: the last second of the day, one second
earlier for each correction of that day (a revision writes the difference). A window's total is
`sum_over_time(series[window])`; a day counts in every window that holds its end. Every series
carries `source` (`anthropic`, `anthropic_enterprise`, `cursor`, `openai`), `agent`
(`claude-code`, `cursor`, `codex`), `developer_id` and `team_id` (an API key as actor:
`api-key:<name>`, team `identities.default_team_id`); the labels column lists the others.
""",
)
VENDOR_COST = _vd.add(VENDOR + "cost_usd", GAUGE, "Cost of the day in USD as the vendor reports it", "model")
VENDOR_TOKENS = _vd.add(
    VENDOR + "tokens", GAUGE, "Tokens of the day; `type`: input, output, cache_read, cache_creation", "model type"
)
VENDOR_REQUESTS = _vd.add(VENDOR + "requests", GAUGE, "Requests of the day", "model")
VENDOR_SESSIONS = _vd.add(VENDOR + "sessions", GAUGE, "Sessions of the day")
VENDOR_LINES = _vd.add(
    VENDOR + "lines", GAUGE, "Lines of code the agent added / removed (`type`: added, removed)", "type"
)
VENDOR_COMMITS = _vd.add(VENDOR + "commits", GAUGE, "Commits made by the agent")
VENDOR_PULL_REQUESTS = _vd.add(VENDOR + "pull_requests", GAUGE, "Pull requests made by the agent")
VENDOR_EDIT_DECISIONS = _vd.add(
    VENDOR + "edit_decisions",
    GAUGE,
    "Edit-tool proposals accepted / rejected (`decision`: accept, reject)",
    "tool decision",
)
VENDOR_BILLED = _vd.add(
    VENDOR + "billed_usd",
    GAUGE,
    "The vendor's billed total of a project for the day (OpenAI costs API, dollars); beside the per-developer "
    "cost, never added to it",
    "project_id",
)
VENDOR_DAY_SERIES = tuple(_vd.series)

_vs = section("Vendor organisation APIs: status (scraped, label `source`)")
VENDOR_UP = _vs.add(VENDOR + "up", GAUGE, "1 when the last poll of the source succeeded, else 0", "source")
VENDOR_LAST_SUCCESS = _vs.add(
    VENDOR + "last_success_timestamp_seconds", GAUGE, "When a poll last completed without error", "source"
)
VENDOR_ERRORS = _vs.add(
    VENDOR + "errors_total",
    COUNTER,
    "Failed polls. `reason`: no_key (the variable is empty), unauthorized, forbidden, not_found, rate_limited, "
    "overloaded, server_error, network, bad_payload (a payload of unexpected shape), prometheus (the first run "
    "could not ask Prometheus which days it holds), remote_write (day samples not written yet)",
    "source reason",
)
VENDOR_NEWEST_DAY = _vs.add(
    VENDOR + "newest_day_timestamp_seconds", GAUGE, "Midnight UTC of the newest day held", "source"
)
VENDOR_DAYS_PENDING = _vs.add(
    VENDOR + "days_pending", GAUGE, "Days with figures staged, not yet written to Prometheus", "source"
)
VENDOR_MONTH_TO_DATE = _vs.add(
    VENDOR + "month_to_date_usd",
    GAUGE,
    "Cost of the current UTC month so far, from the store",
    "source agent developer_id team_id",
)

CURSOR = "agent_analytics_cursor_"
_cu = section("Cursor team state (scraped gauges, from the last poll)")
CURSOR_MEMBERS = _cu.add(CURSOR + "members", GAUGE, "Members of the Cursor team (`state`: active, removed)", "state")
CURSOR_CYCLE_SPEND = _cu.add(
    CURSOR + "cycle_spend_usd",
    GAUGE,
    "A member's spend in the current billing cycle (`spendCents` / 100)",
    "developer_id team_id",
)
CURSOR_MONTHLY_LIMIT = _cu.add(
    CURSOR + "monthly_limit_usd",
    GAUGE,
    "A member's spending limit: the hard limit override when set, else the monthly limit",
    "developer_id team_id",
)
CURSOR_CYCLE_START = _cu.add(CURSOR + "cycle_start_timestamp_seconds", GAUGE, "Start of the current billing cycle")

_st = section(
    "The one-machine stack (`agent-analytics up` only)",
    """
The exporter that `up` runs also serves the restarts of `up`'s child processes
(docs/running-as-a-service.md). A Prometheus that restarts reads the raised value when it is back:
the counter lives here, not in the process that restarted.
""",
)
STACK_RESTARTS = _st.add(
    "agent_analytics_stack_restarts_total",
    COUNTER,
    "Restarts of a child process of `up` (`prometheus`, `loki`, `alertmanager`, `grafana`) since `up` started; 0 "
    "from the start "
    "for each child that runs",
    "child",
)

# --- the embedded collector's own metrics ----------------------------------------------------------

_col = section("The embedded collector's own metrics", in_metrics_doc=False)
COLLECTOR_RECEIVED = _col.add(
    "agent_analytics_collector_received_total",
    COUNTER,
    "Data points (signal=metrics) and log records (signal=logs) received, by agent (service.name)",
    "signal agent",
)
COLLECTOR_REJECTED = _col.add(
    "agent_analytics_collector_rejected_total",
    COUNTER,
    "Requests rejected, and data points of unsupported types, by reason",
    "reason",
)
COLLECTOR_OVERFLOW = _col.add(
    "agent_analytics_collector_overflow_total",
    COUNTER,
    "Data points folded into the overflow series because the metric reached its cardinality limit",
    "metric",
)
LOKI_FORWARDED = _col.add("agent_analytics_collector_loki_forwarded_total", COUNTER, "Log records accepted by Loki")
LOKI_FORWARD_FAILURES = _col.add(
    "agent_analytics_collector_loki_forward_failures_total",
    COUNTER,
    "Failed attempts to send a batch of events to Loki",
)
SPOOL_DROPPED = _col.add(
    "agent_analytics_collector_spool_dropped_total",
    COUNTER,
    "Log records dropped from the on-disk spool because it reached its size limit",
)
SPOOL_BYTES = _col.add(
    "agent_analytics_collector_spool_bytes", GAUGE, "Bytes of events waiting in the on-disk spool for Loki"
)
SPOOL_RECORDS = _col.add(
    "agent_analytics_collector_spool_records", GAUGE, "Log records waiting in the on-disk spool for Loki"
)
WAL_SYNCS = _col.add(
    "agent_analytics_collector_wal_syncs_total",
    COUNTER,
    "Writes of the metric write-ahead log made durable (one per group of concurrent requests)",
)
WAL_BYTES = _col.add(
    "agent_analytics_collector_wal_bytes", GAUGE, "Bytes of the metric write-ahead log since the last snapshot"
)
WAL_REPLAYED = _col.add(
    "agent_analytics_collector_wal_replayed_batches_total",
    COUNTER,
    "Logged batches applied again at start, on top of the last snapshot",
)
WAL_DROPPED_BYTES = _col.add(
    "agent_analytics_collector_wal_dropped_bytes_total",
    COUNTER,
    "Bytes of a torn or corrupt write-ahead log tail dropped at start (never acknowledged when torn)",
)
SNAPSHOTS = _col.add("agent_analytics_collector_snapshots_total", COUNTER, "Snapshots of the metric state written")
COLLECTOR_SERIES = tuple(_col.series)

# --- scrape health and the OpenTelemetry Collector ---------------------------------------------------

_up = section("Prometheus' own series and the OpenTelemetry Collector's", in_metrics_doc=False)
UP = _up.add("up", GAUGE, "1 when Prometheus' last scrape of the target succeeded", "job instance")
ALERTS = _up.add("ALERTS", GAUGE, "The alerts pending or firing", "alertname alertstate")
OTELCOL_SEND_FAILED_LOGS = _up.add(
    "otelcol_exporter_send_failed_log_records_total", COUNTER, "Log records an exporter failed to send", "exporter"
)
OTELCOL_ENQUEUE_FAILED_LOGS = _up.add(
    "otelcol_exporter_enqueue_failed_log_records_total",
    COUNTER,
    "Log records an exporter failed to queue",
    "exporter",
)
LOKI_EXPORTERS = 'exporter=~".*loki.*"'  # the OTel Collector's Loki exporters, whatever their id
NOTIFICATIONS_SENT = _up.add(
    "prometheus_notifications_sent_total", COUNTER, "Alerts Prometheus sent to an Alertmanager", "alertmanager"
)
NOTIFICATIONS_FAILED = _up.add(
    "prometheus_notifications_errors_total",
    COUNTER,
    "Alerts Prometheus sent to an Alertmanager that failed",
    "alertmanager",
)


def up(job: str) -> str:
    return f'{UP}{{job="{job}"}}'


# --- recorded by the rules (prometheus/rules_src) -----------------------------------------------------

_r = section("Recording rules", in_metrics_doc=False)
COST_1H = _r.add("team_developer_model:claude_code_cost_usd:increase1h", RECORDED, "Claude Code cost per hour")
COST_1D = _r.add("team_developer_model:claude_code_cost_usd:increase1d", RECORDED, "Claude Code cost per day")
TOKENS_1H = _r.add("team_model_type:claude_code_tokens:increase1h", RECORDED, "Claude Code tokens per hour")
ACTIVE_DEVELOPERS_1D = _r.add(
    "team:claude_code_active_developers:count1d", RECORDED, "Developers with Claude Code cost in a day"
)
COMMITS_1D = _r.add("team_agent_evidence:git_commits:increase1d", RECORDED, "Commits per day")
ASSISTED_COMMITS_RATIO = _r.add("team:git_assisted_commits:ratio", RECORDED, "Share of commits an agent assisted")
BUDGET = _r.add("team:agent_budget_usd:monthly", RECORDED, "A team's monthly budget")
BUDGET_PER_SECOND = _r.add("team:agent_budget_usd:per_second", RECORDED, "A team's budget per second of the month")
BUDGET_REMAINING = _r.add("team:agent_budget_usd:remaining", RECORDED, "What is left of the month's budget")
TELEMETRY_SENT = _r.add("agent_developer:telemetry_sent:1d", RECORDED, "Developers who sent telemetry in a day")
VENDOR_PACE = _r.add("team:agent_vendor_spend_usd:pace1d", RECORDED, "Vendor-reported spend per second, last day")
TELEMETRY_RATE = _r.add("agent_team_developer:agent_telemetry_spend_usd:rate5m", RECORDED, "Telemetry spend per second")
TELEMETRY_MTD = _r.add(
    "agent_team_developer:agent_telemetry_spend_usd:month_to_date", RECORDED, "Telemetry spend this month"
)
VENDOR_MTD = _r.add("agent_team:vendor_spend_usd:month_to_date", RECORDED, "Vendor-reported spend this month")
MONTH_TO_DATE = _r.add("team:agent_spend_usd:month_to_date", RECORDED, "A team's spend this month")
BUDGET_MONTH = _r.add("agent_analytics:budget_month:month", RECORDED, "The month the month-to-date rules count")
FORECAST_MONTH_END = _r.add("team:agent_spend_usd:forecast_month_end", RECORDED, "A team's spend forecast")
HOUR_NOW = _r.add("agent_analytics:rules_hour:hour", RECORDED, "The hour (0-23, UTC) of the newest rule evaluation")


def spend_rate(window: str) -> str:
    return f"team:agent_spend_usd:rate{window}"


def burn_rate(window: str) -> str:
    return f"team:agent_spend_burn_rate:ratio_rate{window}"


def declared() -> Iterator[Series]:
    for s in SECTIONS:
        yield from s.series
