"""6. Plan limits: who reaches the 5-hour window's limit of their Claude plan and how often, how much
of the weekly window each developer uses, and the plan fit (who would fit a smaller plan, who
needs a larger one, and the monthly difference). The readings come from Claude Code's status
line (the bridge `init` installs); the PromQL is agent_analytics/vocabulary/plan_limits.py's,
which `report` runs too."""

from grafana_foundation_sdk.models import dashboard as model

from agent_analytics.vocabulary import plan_limits as pl
from agent_analytics.vocabulary.series import PLAN_QUOTA_USED

from .builder import Panel, Row, bars, dashboard, prom, stat, table, text
from .common import variables

PEOPLE = 'team_id=~"$team", developer_id=~"$developer"'
SPAN = "$__range"

NEAR = pl.windows_reached(pl.NEAR, SPAN, PEOPLE)
AT_LIMIT = pl.windows_reached(pl.AT, SPAN, PEOPLE)
HOURS = pl.hours_at_limit(SPAN, PEOPLE)
PEAK = pl.weekly_peak(SPAN, PEOPLE)
FIT = pl.plan_fit(SPAN, PEOPLE)


def _columns(panel: Panel, names: dict[str, tuple[str, str]]) -> Panel:
    """Table columns renamed (the merged targets' `Value #A`, ...) and given a unit each."""
    renamed = {column: title for column, (title, _) in names.items()}
    panel = panel.with_transformation(model.DataTransformerConfig(id_val="organize", options={"renameByName": renamed}))
    for title, unit in names.values():
        panel = panel.override_by_name(title, [model.DynamicConfigValue(id_val="unit", value=unit)])
    return panel


def plans_text() -> str:
    rows = "\n".join(
        f"| {p.name} | {p.family} | {p.size:g}x | ${p.price_monthly_usd:g} | [source]({p.source}) |"
        for p in pl.plans().values()
    )
    return (
        "| plan | family | allows (x Pro) | list price / month | |\n|---|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Checked {pl.checked()}; the exporter's `plan_prices` sets what you pay. A developer fits a smaller plan"
        f" of the family when their weekly peak, in that plan's size, would fill at most {pl.FIT:.0%} of it; one"
        " at the weekly limit needs the next larger plan. The plan is what `agent-analytics init --plan` named."
    )


def build() -> dict:
    five_hour = Row(
        "The 5-hour window",
        [
            stat(
                "Developers who reached 90%",
                f"count({NEAR}) or vector(0)",
                width=6,
                description="Developers who used 90% or more of a 5-hour window in the time range.",
            ),
            stat(
                "Developers at the limit",
                f"count({AT_LIMIT}) or vector(0)",
                width=6,
                thresholds=[(None, "green"), (1, "orange")],
                description="Developers who used up a 5-hour window in the time range (and waited for it to reset).",
            ),
            stat(
                "Hours at the limit",
                f"sum({HOURS}) or vector(0)",
                "h",
                width=6,
                decimals=1,
                description="Time developers spent with their 5-hour window used up, added up, read every"
                f" {pl.STEP}: from reaching the limit to the window's reset.",
            ),
            stat(
                "Developers reporting plan limits",
                f"count(group by (developer_id) (last_over_time({PLAN_QUOTA_USED}{{{PEOPLE}}}[{SPAN}]))) or vector(0)",
                width=6,
                description="Developers whose Claude Code status line sent plan limits in the time range"
                " (claude.ai subscriptions and Claude gateway sign-ins; API keys have none).",
            ),
            _columns(
                table(
                    "Who reaches the 5-hour limit, and how often",
                    [prom(NEAR), prom(AT_LIMIT), prom(HOURS)],
                    width=24,
                    description="Per developer: the 5-hour windows in the time range in which they used 90% or"
                    " more, those they used up, and the hours they spent at the limit.",
                ),
                {
                    "Value #A": ("windows at 90%+", "short"),
                    "Value #B": ("windows at the limit", "short"),
                    "Value #C": ("hours at the limit", "h"),
                },
            ),
        ],
    )
    weekly = Row(
        "The weekly window",
        [
            bars(
                "Weekly peak per developer",
                [prom(PEAK, "{{developer_id}} ({{plan}})")],
                "percentunit",
                width=16,
                height=10,
                max_value=1,
                thresholds=[(None, "green"), (pl.NEAR, "orange"), (pl.AT, "red")],
                description="The most of the weekly window each developer used in the time range.",
            ),
            bars(
                "Developers by weekly peak",
                [prom(pl.bands_promql(SPAN, PEOPLE), "{{band}}")],
                width=8,
                height=10,
                description="How the weekly peaks spread: how many developers used how much of their week.",
            ),
        ],
    )
    fit = Row(
        "Plan fit",
        [
            stat(
                "Savings available",
                f"-sum(({FIT}) < 0) or vector(0)",
                "currencyUSD",
                width=8,
                description="Per month, if everyone who fits a smaller plan moved to it.",
            ),
            stat(
                "Larger plans needed",
                f"sum(({FIT}) > 0) or vector(0)",
                "currencyUSD",
                width=8,
                description="Per month, the extra for the developers at the weekly limit moving up a plan.",
            ),
            stat("Net change", f"sum({FIT}) or vector(0)", "currencyUSD", width=8, description="Per month."),
            _columns(
                table(
                    "Plan fit per developer",
                    [prom(PEAK), prom(FIT)],
                    width=16,
                    height=10,
                    description="Each developer's weekly peak on their plan, the plan they need, and the monthly"
                    " difference of the seat prices (negative: a saving).",
                ),
                {"Value #A": ("weekly peak", "percentunit"), "Value #B": ("per month", "currencyUSD")},
            ),
            text("Plans", plans_text(), width=8, height=10),
        ],
    )
    return dashboard(
        "aa-plan-limits",
        "Plan limits",
        "Claude plan limits: the 5-hour and weekly windows per developer, and which plan each needs.",
        [five_hour, weekly, fit],
        variables("team", "developer"),
        time_from="now-7d",
        tags=("claude-code", "plans"),
    )
