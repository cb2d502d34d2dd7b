"""Every figure `report` shows, defined once: its name (where `report --json` holds it), its words
(the report's row and a dashboard panel's title), its unit, what it counts, and its PromQL over a
scope (a window, the dashboard's filters, the ROI inputs).

`report` evaluates each figure over its window; a dashboard panel that shows one runs the same
PromQL with Grafana's variables as the scope, so the two never give two answers to one question.
Ratios divide like by like: the spend of the agents whose output they count (Claude Code's cost
over Claude Code's pull requests), or the output of every agent (every assisted commit over all
the spend); where both are useful the two figures have two names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agent_analytics.vocabulary import roi, series, spend, words
from agent_analytics.vocabulary.facts import ROI_DEFAULTS, SEAT_MONTH_SECONDS
from agent_analytics.vocabulary.hourly import grown
from agent_analytics.vocabulary.promql import growth, latest, selector

USD, COUNT, SHARE, HOURS, SECONDS, NUMBER = "usd", "count", "share", "hours", "seconds", "number"
ASSISTED = 'agent!="none"'
ACCEPTED = 'decision="accept"'
BY_CLAUDE_CODE = 'agent="claude-code"'
# commits of the agents billed by use: what their usage spend buys
USAGE_BILLED = f'agent=~"{"|".join(spend.AGENTS)}"'


@dataclass(frozen=True)
class Scope:
    """What a figure is evaluated over.

    span / seconds: the window as a PromQL duration and as a number of seconds ("$__range" and
    "$__range_s" on a dashboard, "604800s" and "604800" in `report`). team, developer, model,
    agent: regexes the labels must match (dashboard variables), "" for no filter. hourly_rate,
    minutes_per_commit: the ROI inputs as PromQL numbers. own: the operator's ROI preset, if any.
    """

    span: str
    seconds: str
    team: str = ""
    developer: str = ""
    model: str = ""
    agent: str = ""
    hourly_rate: str = f"{ROI_DEFAULTS['hourly_rate_usd']:g}"
    minutes_per_commit: str = f"{ROI_DEFAULTS['minutes_saved_per_assisted_commit']:g}"
    own: roi.Preset | None = field(default=None, compare=False)

    @staticmethod
    def _matching(label: str, regex: str) -> str:
        return f'{label}=~"{regex}"' if regex else ""

    @property
    def team_only(self) -> str:
        return self._matching("team_id", self.team)

    @property
    def people(self) -> str:
        return both(self.team_only, self._matching("developer_id", self.developer))

    @property
    def people_model(self) -> str:
        return both(self.people, self._matching("model", self.model))

    @property
    def git(self) -> str:
        return both(self.people, self._matching("agent", self.agent))

    @property
    def agents(self) -> str:
        return self._matching("agent", self.agent)

    @property
    def window(self) -> spend.Window:
        return spend.Window(self.span)

    @property
    def presets(self) -> dict[str, roi.Preset]:
        return roi.PRESETS | ({roi.OWN_PRESET: self.own} if self.own else {})


def both(*matchers: str) -> str:
    return ", ".join(m for m in matchers if m)


def counted(metric: str, span: str, filters: str = "", by: str | None = None) -> str:
    """A counter's growth over `span`, summed (by `by`): hourly.grown(), or raw growth for a
    {__name__=~...} selector (a series of several names)."""
    if metric.startswith("{"):
        grouping = f" by ({by})" if by else ""
        return f"sum{grouping} ({growth(selector(metric, filters), span)})"
    return grown(metric, span, filters, by)


@dataclass(frozen=True)
class Figure:
    path: str  # where `report --json` holds it (dotted); also the figure's name
    words: str  # the report's row and the title of a dashboard panel that shows it alone
    unit: str
    means: str  # what it counts: the panel's description
    build: Callable[[Scope], str]
    by: str = ""  # the label of a figure given per label value (a dict in `report --json`)

    def promql(self, scope: Scope) -> str:
        return self.build(scope)


FIGURES: dict[str, Figure] = {}


def _add(path: str, words_: str, unit: str, means: str, build: Callable[[Scope], str], by: str = "") -> Figure:
    FIGURES[path] = Figure(path, words_, unit, means, build, by)
    return FIGURES[path]


# --- spend --------------------------------------------------------------------------------------


def usage(s: Scope, by: str = "") -> str:
    """Usage-based USD of every agent (those $agent picks) over the window (agent_analytics/vocabulary/spend.py)."""
    return spend.total_spend(s.window, by, s.people_model, agent_regex=s.agent)


def _copilot_seats(s: Scope) -> str:
    """Copilot's seats from its seat API (label agent="copilot")."""
    total = latest(series.COPILOT_SEATS, 'state="total"', s.span)
    return f'label_replace(sum({total}), "agent", "copilot", "", "")'


def seats_paid(s: Scope) -> str:
    """Seats per agent: configured (`seats`), Copilot's from its seat API where it reports them."""
    configured = f"max by (agent) ({latest(series.SEATS_PAID, s.agents, s.span)})"
    api = _copilot_seats(s)
    return f"(({configured}) unless on (agent) {api}) or {api}"


def seat_price(s: Scope) -> str:
    return f"max by (agent) ({latest(series.SEAT_PRICE, s.agents, s.span)})"


def seats_monthly_by_agent(s: Scope) -> str:
    return f"{seat_price(s)} * on (agent) ({seats_paid(s)})"


def seats_monthly(s: Scope) -> str:
    return f"(sum({seats_monthly_by_agent(s)}) or vector(0))"


def seats_in_window(s: Scope) -> str:
    """Seat licences pro-rated to the window: a window pays its share of an average month."""
    return f"{seats_monthly(s)} * {s.seconds} / {SEAT_MONTH_SECONDS}"


def total(s: Scope) -> str:
    return f"(({usage(s)}) or vector(0)) + {seats_in_window(s)}"


_add(
    "spend.usage_usd",
    "Usage spend",
    USD,
    "What the agents billed by use cost in the window (Claude Code, Codex, Cursor, Gemini CLI): from their "
    "telemetry or the vendors' APIs, one source per agent and developer (spend_source). Seats not included.",
    usage,
)
_add(
    "spend.seats_usd",
    "Seat licences in the window",
    USD,
    "Seats x seat price per month, pro-rated to the window (a month is a twelfth of a year); Copilot's seats "
    "from its seat API.",
    seats_in_window,
)
_add(
    "spend.seats_monthly_usd",
    "Seat licences per month",
    USD,
    "Configured seats x seat price, plus Copilot's assigned seats x the copilot seat price.",
    seats_monthly,
)
_add("spend.total_usd", "AI spend (usage and seats)", USD, "Usage spend plus the seat licences of the window.", total)
_add(
    "spend.usage_by_agent_usd",
    "Usage spend by agent",
    USD,
    "Usage spend per agent, one source per agent and developer.",
    lambda s: spend.spend_by_agent(s.window, "", s.people_model, agent_regex=s.agent),
    by="agent",
)
_add(
    "spend.seats_by_agent_usd",
    "Seat licences by agent, in the window",
    USD,
    "Seats x seat price per agent, pro-rated to the window.",
    lambda s: f"{seats_monthly_by_agent(s)} * {s.seconds} / {SEAT_MONTH_SECONDS}",
    by="agent",
)
_add("spend.by_model_usd", "Usage spend by model", USD, "Usage spend per model.", lambda s: usage(s, "model"), "model")
_add(
    "spend.by_team_usd",
    "Usage spend by team (seats are not split by team)",
    USD,
    "Usage spend per team: the team each developer's spend was made in. Seat licences are bought for the "
    "organisation and are not in any team's figure.",
    lambda s: usage(s, "team_id"),
    by="team_id",
)
_add(
    "spend.by_developer_usd",
    "Usage spend by developer",
    USD,
    "Usage spend per developer, one row each (a developer who changed team is one row).",
    lambda s: usage(s, "developer_id"),
    by="developer_id",
)
_add("seats.paid", "Seats paid", COUNT, "Configured seats; Copilot's from its seat API.", seats_paid, "agent")
_add("seats.price_monthly_usd", "Seat price per month", USD, "The configured seat prices.", seat_price, "agent")

# --- reconciliation (agent_analytics/vocabulary/spend.py) -----------------------------------------

RECONCILED = {"claude-code": "Anthropic", "codex": "OpenAI"}
RECONCILIATION_WORDS = {
    "telemetry_usd": ("Telemetry", USD),
    "vendor_usd": ("Vendor API", USD),
    "difference_usd": ("Difference (telemetry - vendor API)", USD),
    "difference_share": ("Difference, share of the vendor API's figure", SHARE),
    "only_telemetry_usd": ("Seen by telemetry only", USD),
    "only_vendor_usd": ("Seen by the vendor API only", USD),
}
for _agent, _vendor in RECONCILED.items():
    for _key, (_words, _unit) in RECONCILIATION_WORDS.items():
        _add(
            f"spend.reconciliation.{_agent}.{_key}",
            f"{words.agent(_agent)} ({_vendor}): {_words.lower()}",
            _unit,
            f"{words.agent(_agent)} per developer as its telemetry and the {_vendor} API report it, whatever "
            "spend_source picks: side by side for the developers both see, apart for those only one sees.",
            lambda s, a=_agent, k=_key: spend.reconciliation(a, s.window, s.people_model)[k],
            by="developer_id",
        )

# --- commits (git) --------------------------------------------------------------------------------


def commits(s: Scope, *matchers: str, by: str | None = None) -> str:
    return grown(series.GIT_COMMITS, s.span, both(s.git, *matchers), by)


_add("commits.total", "Commits", COUNT, "Every commit git saw, assisted or not.", commits)
_add(
    "commits.assisted",
    "Assisted commits",
    COUNT,
    "Commits an agent helped with: the git hook saw its session, or a trailer names it.",
    lambda s: commits(s, ASSISTED),
)
_add(
    "commits.assisted_share",
    "Assisted share of commits",
    SHARE,
    "Assisted commits over every commit.",
    lambda s: f"{commits(s, ASSISTED)} / {commits(s)}",
)
_add(
    "commits.by_agent",
    "Commits by agent",
    COUNT,
    "Commits per agent that helped (none: no agent).",
    lambda s: commits(s, by="agent"),
    "agent",
)
_add(
    "commits.cost_per_assisted_commit_with_seats_usd",
    "AI spend (usage and seats) per assisted commit",
    USD,
    "All AI spend, seats included, over the commits any agent assisted (Copilot's commits cost seats).",
    lambda s: f"({total(s)}) / {commits(s, ASSISTED)}",
)
_add(
    "commits.usage_cost_per_usage_assisted_commit_usd",
    "Usage spend per commit assisted by an agent billed by use",
    USD,
    "Usage spend over the commits that Claude Code, Codex, Cursor or Gemini CLI assisted: the agents whose "
    "use that spend pays for.",
    lambda s: f"({usage(s)}) / {commits(s, USAGE_BILLED)}",
)
_add(
    "commits.cost_per_commit_with_seats_usd",
    "AI spend (usage and seats) per commit, assisted or not",
    USD,
    "All AI spend, seats included, over every commit.",
    lambda s: f"({total(s)}) / {commits(s)}",
)

# --- Claude Code's own output (its telemetry on both sides of each ratio) ------------------------


def claude_cost(s: Scope, filters: str) -> str:
    """Claude Code's cost as its telemetry reports it (whatever spend_source picks for totals)."""
    return f"sum({spend.raw_telemetry_cost('claude-code', s.window, filters)})"


def claude(s: Scope, metric: str, *matchers: str, model: bool = False, by: str | None = None) -> str:
    return grown(metric, s.span, both(s.people_model if model else s.people, *matchers), by)


def lines_added(s: Scope, by: str | None = None) -> str:
    return claude(s, series.CLAUDE_LINES, 'type="added"', model=True, by=by)


def sessions(s: Scope, by: str | None = None) -> str:
    return claude(s, series.CLAUDE_SESSIONS, by=by)


_add(
    "output.claude_code_pull_requests",
    "Claude Code pull requests",
    COUNT,
    "Pull requests Claude Code reports it created; whether they merged is not known.",
    lambda s: claude(s, series.CLAUDE_PULL_REQUESTS),
)
_add(
    "output.claude_code_cost_per_pull_request_usd",
    "Claude Code cost per pull request",
    USD,
    "Claude Code's cost over its pull requests, both from its telemetry.",
    lambda s: f"{claude_cost(s, s.people)} / {claude(s, series.CLAUDE_PULL_REQUESTS)}",
)
_add(
    "output.claude_code_lines_added_per_dollar",
    "Lines Claude Code added per dollar of its cost",
    NUMBER,
    "Lines Claude Code added over Claude Code's cost, both from its telemetry.",
    lambda s: f"{lines_added(s)} / {claude_cost(s, s.people_model)}",
)
_add(
    "output.claude_code_accepted_edits",
    "Claude Code edits accepted",
    COUNT,
    "Edit, Write and NotebookEdit proposals accepted.",
    lambda s: claude(s, series.CLAUDE_EDIT_DECISIONS, ACCEPTED),
)
_add(
    "output.claude_code_edit_accept_rate",
    "Claude Code edit accept rate",
    SHARE,
    "Accepted over all Edit, Write and NotebookEdit decisions.",
    lambda s: f"{claude(s, series.CLAUDE_EDIT_DECISIONS, ACCEPTED)} / {claude(s, series.CLAUDE_EDIT_DECISIONS)}",
)
_add(
    "output.claude_code_sessions_with_a_commit",
    "Claude Code sessions that made a commit",
    COUNT,
    "Claude Code sessions whose commits the git hook saw (it names the session).",
    lambda s: claude(s, series.COMMITTING_SESSIONS, BY_CLAUDE_CODE),
)
_add(
    "output.claude_code_share_of_sessions_with_a_commit",
    "Share of Claude Code sessions that made a commit",
    SHARE,
    "Claude Code sessions whose commits the git hook saw, over Claude Code sessions begun.",
    lambda s: f"{claude(s, series.COMMITTING_SESSIONS, BY_CLAUDE_CODE)} / {sessions(s)}",
)

# --- who uses the agents -------------------------------------------------------------------------


def active_days(s: Scope) -> str:
    return roi.active_days_promql(series.CLAUDE_ACTIVE_TIME, series.VENDOR_COST, s.span, s.people)


def active_time_by_developer(s: Scope) -> str:
    return claude(s, series.CLAUDE_ACTIVE_TIME, by="developer_id")


def committers(s: Scope) -> str:
    return f"{commits(s, by='developer_id')} > 0"


def active_people(s: Scope) -> str:
    """Everyone with spend or agent activity in the window (label developer_id)."""
    spent = spend.total_spend(s.window, "developer_id", s.people)
    return f"(({spent}) > 0 or ({active_days(s)}) > 0 or ({active_time_by_developer(s)}) > 0)"


def vendor_only(s: Scope) -> str:
    """People a vendor API reports who send no agent telemetry and made no commit git saw, with
    what the vendors report they spent."""
    vendor = f"sum by (developer_id) (sum_over_time({selector(series.VENDOR_COST, s.people)}[{s.span}])) > 0"
    senders = f"{spend.telemetry_senders(s.window, s.people)} or ({active_time_by_developer(s)}) > 0"
    return f"({vendor}) unless on (developer_id) ({senders} or ({committers(s)}))"


_add(
    "usage.active_developers",
    "People active with an agent",
    COUNT,
    "Everyone with spend or agent activity in the window, every agent and source: telemetry, vendor APIs.",
    lambda s: f"count({active_people(s)}) or vector(0)",
)
_add(
    "usage.known_only_to_vendor_apis_usd",
    "People known only through a vendor API",
    USD,
    "People a vendor API reports using an agent who send no agent telemetry and whose commits git has not "
    "seen: never set up with `agent-analytics init`. Their vendor-reported spend.",
    vendor_only,
    by="developer_id",
)
_add(
    "usage.claude_code_active_developers",
    "Claude Code developers active",
    COUNT,
    "Developers with Claude Code active time in the window.",
    lambda s: f"count({active_time_by_developer(s)} > 0) or vector(0)",
)
_add("usage.claude_code_sessions", "Claude Code sessions", COUNT, "Claude Code sessions begun.", sessions)
_add(
    "usage.claude_code_active_hours",
    "Claude Code active hours",
    HOURS,
    "Time people interacted with Claude Code and it worked (tools and answers).",
    lambda s: f"{claude(s, series.CLAUDE_ACTIVE_TIME)} / 3600",
)
_add(
    "usage.claude_code_active_hours_by_type",
    "Claude Code active hours by kind",
    HOURS,
    "user: people interacting with Claude Code; cli: Claude Code working.",
    lambda s: f"{claude(s, series.CLAUDE_ACTIVE_TIME, by='type')} / 3600",
    by="type",
)
_add("usage.claude_code_lines_added", "Lines Claude Code added", COUNT, "Lines of code Claude Code added.", lines_added)
_add(
    "usage.claude_code_lines_removed",
    "Lines Claude Code removed",
    COUNT,
    "Lines of code Claude Code removed.",
    lambda s: claude(s, series.CLAUDE_LINES, 'type="removed"', model=True),
)


def tokens(agent: str, metric: str, type_label: str) -> Callable[[Scope], str]:
    repeated = words.repeated_token_types(agent)
    skip = f'{type_label}!~"{"|".join(repeated)}"' if repeated else ""
    return lambda s: counted(metric, s.span, both(s.people_model, skip), by=type_label)


for _agent, _metric, _label in (
    ("claude-code", series.CLAUDE_TOKENS, "type"),
    ("gemini-cli", series.GEMINI_TOKENS_ANY_UNIT, "type"),
    ("codex", series.CODEX_TOKENS, "token_type"),
):
    _add(
        f"tokens.{_agent}",
        f"{words.agent(_agent)} tokens by type",
        COUNT,
        f"{words.agent(_agent)}'s tokens by type, as its telemetry counts them (types that only add up others "
        "are left out).",
        tokens(_agent, _metric, _label),
        by=_label,
    )

# --- GitHub Copilot ------------------------------------------------------------------------------


def copilot_daily(s: Scope, name: str) -> str:
    return f"sum(avg_over_time({series.COPILOT_USAGE[name]}[{s.span}]))"


def copilot_seats(s: Scope, state: str) -> str:
    matcher = f'state="{state}"'
    return f"sum({latest(series.COPILOT_SEATS, matcher, s.span)})"


_add(
    "copilot.daily_code_generation_activities",
    "Copilot code generations per report day",
    NUMBER,
    "Code generation activities per report day, averaged over the window.",
    lambda s: copilot_daily(s, "code_generation_activities"),
)
_add(
    "copilot.daily_code_acceptance_activities",
    "Copilot code acceptances per report day",
    NUMBER,
    "Code acceptance activities per report day, averaged over the window.",
    lambda s: copilot_daily(s, "code_acceptance_activities"),
)
_add(
    "copilot.acceptance_rate",
    "Copilot acceptance rate over the window",
    SHARE,
    "Code acceptances over code generations, every report day in the window.",
    lambda s: f"{copilot_daily(s, 'code_acceptance_activities')} / {copilot_daily(s, 'code_generation_activities')}",
)
_add(
    "copilot.seats",
    "Copilot seats by state",
    COUNT,
    "The seat breakdown of Copilot's billing API, newest in the window.",
    lambda s: f"sum by (state) ({latest(series.COPILOT_SEATS, '', s.span)})",
    by="state",
)
_add(
    "copilot.seat_utilisation",
    "Copilot seats active this cycle",
    SHARE,
    "Seats active in the billing cycle over assigned seats.",
    lambda s: f"{copilot_seats(s, 'active_this_cycle')} / {copilot_seats(s, 'total')}",
)

# --- adoption and ROI (agent_analytics/vocabulary/roi.py) --------------------------------------------

TIER_WORDS = {"light": "Light users", "moderate": "Moderate users", "heavy": "Heavy users"}
MODEL_WORDS = {"time_based": "time-based", "output_based": "output-based"}


def _known_without_an_active_day(s: Scope) -> str:
    known = f"{active_people(s)} or ({committers(s)})"
    return f"count(({known}) unless on (developer_id) ({active_days(s)}) > 0) or vector(0)"


for _tier, _words in TIER_WORDS.items():
    low = roi.TIER_MIN_DAYS_PER_WEEK[_tier]
    _add(
        f"roi.adoption.tiers.{_tier}",
        _words,
        COUNT,
        f"Developers active with an agent on {low:g} or more days a week in the window"
        + ("" if _tier == "heavy" else f", under {low + roi.TIER_BAND_DAYS_PER_WEEK:g}")
        + " (telemetry active time, or vendor-reported spend, on a UTC day).",
        lambda s, t=_tier: roi.tier_count_promql(active_days(s), s.seconds, t),
    )
_add(
    "roi.adoption.tiers.none",
    "Developers without an active day",
    COUNT,
    "People with spend or commits in the window but no day of agent activity.",
    _known_without_an_active_day,
)
_add(
    "roi.adoption.developer_days",
    "Developer-days with an agent",
    COUNT,
    "Whole UTC days in the window on which each developer was active with an agent, summed.",
    lambda s: f"sum({active_days(s)}) or vector(0)",
)


def preset_hours(model: str, s: Scope) -> str:
    if model == "time_based":
        return roi.time_based_hours_promql(active_days(s), s.seconds, s.presets)
    return roi.output_based_hours_promql(active_days(s), s.presets)


for _model, _words in MODEL_WORDS.items():
    _add(
        f"roi.{_model}.hours_saved",
        f"Hours saved, {_words}",
        HOURS,
        f"Per preset ({' / '.join(roi.PRESETS)}), from the evidence beside it.",
        lambda s, m=_model: preset_hours(m, s),
        by="preset",
    )
    _add(
        f"roi.{_model}.value_usd",
        f"Value of the hours saved, {_words}",
        USD,
        "Per preset: the hours saved at the hourly rate.",
        lambda s, m=_model: f"({preset_hours(m, s)}) * {s.hourly_rate}",
        by="preset",
    )
    _add(
        f"roi.{_model}.net_return",
        f"Net return, {_words}",
        SHARE,
        "Per preset: (value of the hours saved - AI spend) / AI spend; spend is usage plus the window's seats.",
        lambda s, m=_model: f"({preset_hours(m, s)}) * {s.hourly_rate} / on () group_left () ({total(s)}) - 1",
        by="preset",
    )


def own_hours(s: Scope) -> str:
    """The operator's assumption: assisted commits x minutes per commit (lines are not credited
    again: they are in those commits)."""
    return f"(({commits(s, ASSISTED)}) or vector(0)) * {s.minutes_per_commit} / 60"


_add(
    "roi.own_assumption.hours_saved",
    "Hours saved, your minutes per assisted commit",
    HOURS,
    "Assisted commits x the minutes saved per assisted commit.",
    own_hours,
)
_add(
    "roi.own_assumption.value_usd",
    "Value of time saved, your minutes per assisted commit",
    USD,
    "Those hours at the hourly rate.",
    lambda s: f"{own_hours(s)} * {s.hourly_rate}",
)
_add(
    "roi.own_assumption.net_return",
    "Net return, your minutes per assisted commit",
    SHARE,
    "(Value of time saved - AI spend) / AI spend.",
    lambda s: f"({own_hours(s)}) * {s.hourly_rate} / ({total(s)}) - 1",
)
_add(
    "roi.own_assumption.value_per_dollar",
    "Value per dollar, your minutes per assisted commit",
    NUMBER,
    "Value of time saved / AI spend (1 breaks even).",
    lambda s: f"({own_hours(s)}) * {s.hourly_rate} / ({total(s)})",
)
_add(
    "roi.break_even_hours_per_developer_week",
    "Break-even: hours saved per active developer per week",
    HOURS,
    "How many hours each developer with an active day must save per week for the time to be worth the AI "
    "spend (usage and seats) at the hourly rate. Compare with the presets' hours per developer per week.",
    lambda s: f"({total(s)}) / {s.hourly_rate} / (count(({active_days(s)}) > 0) * {s.seconds} / {roi.WEEK_SECONDS})",
)

# --- usage patterns (the Claude Code dashboard's row) ---------------------------------------------

TTC = series.TIME_TO_COMMIT


def _timed(s: Scope, part: str, by: str | None = None) -> str:
    return counted(f"{TTC}_{part}", s.span, s.git, by)


_add(
    "measures.lines_per_session",
    "Lines per session",
    NUMBER,
    "Lines Claude Code added, divided by the sessions begun in the window.",
    lambda s: f"{lines_added(s)} / {sessions(s)}",
)
_add(
    "measures.lines_per_session_by_developer",
    "Lines per session by developer",
    NUMBER,
    "Lines Claude Code added per session begun, per developer.",
    lambda s: f"{lines_added(s, 'developer_id')} / {sessions(s, 'developer_id')}",
    by="developer_id",
)
_add(
    "measures.time_to_commit.commits_timed",
    "Commits timed",
    COUNT,
    "Commits whose session's first prompt was found.",
    lambda s: _timed(s, "count"),
)
_add(
    "measures.time_to_commit.mean_seconds",
    "Time to commit (mean)",
    SECONDS,
    "From a session's first prompt to each commit made in it (the git hook names the session; its first "
    "prompt comes from the events in Loki, the exporter's loki_url).",
    lambda s: f"{_timed(s, 'sum')} / {_timed(s, 'count')}",
)
_add(
    "measures.time_to_commit.median_seconds_estimate",
    "Time to commit (median, estimate)",
    SECONDS,
    "Median of the same, interpolated within the histogram's buckets.",
    lambda s: f"histogram_quantile(0.5, {_timed(s, 'bucket', 'le')})",
)


def figure(path: str) -> Figure:
    return FIGURES[path]


# --- who and what can be picked -------------------------------------------------------------------

# Every series that names a team, a developer, a model or an agent, by label: the dashboards'
# dropdowns list the values of all of them, so that someone known only through a vendor API, the
# Copilot CLI or git can be picked too.
_PEOPLE = (
    series.CLAUDE_COST,
    series.CLAUDE_ACTIVE_TIME,
    series.GEMINI_TOKENS,
    series.CODEX_TOKENS,
    series.COPILOT_CLI_INPUT_TOKENS,
    series.GIT_COMMITS,
    series.VENDOR_COST,
)
NAMED_BY = {
    "team_id": (*_PEOPLE, series.BUDGET_MONTHLY),
    "developer_id": _PEOPLE,
    "model": (series.CLAUDE_COST, series.GEMINI_TOKENS, series.CODEX_TOKENS, series.VENDOR_COST),
    "agent": (series.GIT_COMMITS, series.VENDOR_COST, series.SEAT_PRICE, series.SPEND_SOURCE, series.TOKEN_PRICE),
}
# Gemini CLI releases that declare the unit `tokens` name its counter with a `_tokens` in it
_ANY_UNIT = {series.GEMINI_TOKENS: "gemini_cli_token_usage.*_total"}


def naming(label: str, matchers: str = "") -> str:
    """A selector of every series that names `label` (with the label matchers `matchers`)."""
    names = "|".join(_ANY_UNIT.get(name, name) for name in NAMED_BY[label])
    return "{" + both(f'__name__=~"{names}"', matchers) + "}"


def configured(key: str, span: str) -> str:
    """An ROI input as the exporter's roi config gives it over `span`, else the default."""
    return f"max({latest(series.ROI_SETTINGS[key], span=span)}) or vector({ROI_DEFAULTS[key]:g})"
