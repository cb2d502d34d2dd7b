"""PromQL and LogQL building blocks shared by the dashboards: series names, the dashboards' scope
and filters, and counter growth over the time range (agent_analytics.vocabulary.figures.counted, as
`report` reads counters)."""

from __future__ import annotations

from agent_analytics.vocabulary import series
from agent_analytics.vocabulary.figures import Scope, counted
from agent_analytics.vocabulary.hourly import by_step
from agent_analytics.vocabulary.promql import selector

COST = series.CLAUDE_COST
TOKENS = series.CLAUDE_TOKENS
SESSIONS = series.CLAUDE_SESSIONS
ACTIVE_TIME = series.CLAUDE_ACTIVE_TIME
LINES = series.CLAUDE_LINES
CC_COMMITS = series.CLAUDE_COMMITS
CC_PULL_REQUESTS = series.CLAUDE_PULL_REQUESTS
EDIT_DECISIONS = series.CLAUDE_EDIT_DECISIONS
GEMINI_TOKENS = series.GEMINI_TOKENS_ANY_UNIT
# The other agents' own series (tests/fixtures/<agent>/README.md says what each holds)
GEMINI_TOKEN_USAGE = series.GEMINI_TOKENS  # type: input (cache included), output, thought, tool, cache
GEMINI_REQUESTS = series.GEMINI_REQUESTS  # a failed request twice: once with error_type
CODEX_TOKENS = series.CODEX_TOKENS  # token_type: input (cached included), output, total, ...
CODEX_REQUESTS = series.CODEX_REQUESTS
COPILOT_INPUT = series.COPILOT_CLI_INPUT_TOKENS  # cache reads included
COPILOT_OUTPUT = series.COPILOT_CLI_OUTPUT_TOKENS  # reasoning included
COPILOT_REQUESTS = series.COPILOT_CLI_REQUESTS
COMMITS = series.GIT_COMMITS
GIT_LINES_ADDED = series.GIT_LINES_ADDED
GIT_LINES_DELETED = series.GIT_LINES_DELETED

# The scope of the figures a dashboard shows: its time range and variables (agent_analytics.vocabulary.figures)
DASHBOARD = Scope(
    "$__range",
    "$__range_s",
    team="$team",
    developer="$developer",
    model="$model",
    agent="$agent",
    hourly_rate="$hourly_rate_usd",
    minutes_per_commit="$minutes_per_commit",
)
# dashboard variables as label filters ("All" is .*, which also matches a missing label)
TEAM = DASHBOARD.team_only
PEOPLE = DASHBOARD.people
PEOPLE_MODEL = DASHBOARD.people_model
GIT = DASHBOARD.git


def window(metric: str, labels: str = "", by: str | None = None, span: str = "$__range") -> str:
    """Growth of a counter over `span`, summed (by `by`), as the figures read counters."""
    return counted(metric, span, labels, by)


# The minimum interval of time series panels that read per_interval(): their steps are whole
# hours, as the hourly series are (Grafana aligns a range query's steps to multiples of the step).
STEP = "1h"


def per_interval(metric: str, labels: str = "", by: str | None = None) -> str:
    """Increase per graph step (time series panels with interval=STEP): the hourly series of the
    hours in each step (agent_analytics.vocabulary.hourly.by_step), else increase() of the raw counters. Not
    growth(): its whole-value branch would count a series' entire total at every step whose
    previous window holds no sample (windows as short as the step, hourly demo samples), and a
    graph shows a shape, not a total."""
    if hourly_step := by_step(metric, "$__interval", labels, by or ""):  # None for a {__name__=~...} selector
        return hourly_step
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (increase({selector(metric, labels)}[$__rate_interval]))"


# Loki: Claude Code events, filtered by the dashboard variables like the metrics. Attributes
# are structured metadata with dots turned into underscores (event.name -> event_name,
# session.id -> session_id); developer_id is developer.id, or the x-developer-id header the
# collector adds. Only API events name a model.
CLAUDE_EVENTS = '{service_name="claude-code"}'
EVENTS_WITH_MODEL = ("api_request", "api_error")


def events(name: str, extra: str = "") -> str:
    model = ' | model=~"$model"' if name in EVENTS_WITH_MODEL else ""
    return f'{CLAUDE_EVENTS} | event_name="{name}" | team_id=~"$team" | developer_id=~"$developer"{model}{extra}'
