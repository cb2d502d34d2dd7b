"""The ROI rows of the AI spend & ROI dashboard: adoption tiers, the estimates of every preset of
agent_analytics.vocabulary.roi (time-based and output-based), the estimate from the operator's own minutes
per assisted commit, output per dollar, and the evidence behind the presets."""

from __future__ import annotations

from agent_analytics.vocabulary import roi, series

from .builder import Row, stat, text
from .queries import (
    ACTIVE_TIME,
    CC_PULL_REQUESTS,
    COMMITS,
    GIT,
    LINES,
    PEOPLE,
    PEOPLE_MODEL,
    SESSIONS,
    window,
)

RANGE_S = "$__range_s"
ACTIVE_DAYS = roi.active_days_promql(ACTIVE_TIME, series.VENDOR_COST, "$__range", PEOPLE)
ASSISTED_COMMITS = window(COMMITS, f'{GIT}, agent!="none"')
ALL_COMMITS = window(COMMITS, GIT)
LINES_ADDED = window(LINES, f'{PEOPLE_MODEL}, type="added"')
PULL_REQUESTS = window(CC_PULL_REQUESTS, PEOPLE)
COMMITTING_SESSIONS = window(series.COMMITTING_SESSIONS, GIT)
TIER_WORDS = {"light": "Light users", "moderate": "Moderate users", "heavy": "Heavy users"}


def own_hours() -> str:
    """The operator's assumption: assisted commits x minutes per commit (lines are not credited
    again: they are in those commits)."""
    return f"(({ASSISTED_COMMITS}) or vector(0)) * $minutes_per_commit / 60"


def preset_hours(model: str) -> str:
    """Hours saved under every published preset (label `preset`)."""
    if model == "time_based":
        return roi.time_based_hours_promql(ACTIVE_DAYS, RANGE_S)
    return roi.output_based_hours_promql(ACTIVE_DAYS)


def net_return(hours: str, total_spend: str) -> str:
    """(value - spend) / spend as agent_analytics.vocabulary.roi.net_return computes it, reading the spend once;
    per series of `hours` (one per preset, or one)."""
    return f"({hours}) * $hourly_rate_usd / on () group_left () ({total_spend}) - 1"


MODEL_WORDS = {"time_based": "time-based", "output_based": "output-based"}
PRESET_LEGEND = "{{preset}}"


def rows(usage_spend: str, total_spend: str) -> list[Row]:
    """`usage_spend` and `total_spend` (usage plus pro-rated seats) of the time range, as PromQL."""
    adoption = [
        stat(
            TIER_WORDS[t],
            roi.tier_count_promql(ACTIVE_DAYS, RANGE_S, t),
            width=6,
            description="Developers by active days per week in the time range (telemetry active time or "
            "vendor-reported spend on a UTC day).",
        )
        for t in TIER_WORDS
    ]
    adoption.append(
        stat(
            "Developer-days with an agent",
            f"sum({ACTIVE_DAYS}) or vector(0)",
            width=6,
            description="Whole UTC days in the range on which each developer was active with an agent, summed.",
        )
    )
    estimates = []
    presets = " / ".join(roi.PRESETS)
    for model in ("time_based", "output_based"):
        hours = preset_hours(model)
        estimates.append(
            stat(
                f"Hours saved, {MODEL_WORDS[model]}",
                hours,
                "h",
                legend=PRESET_LEGEND,
                decimals=1,
                width=6,
                description=f"Per preset ({presets}), from the evidence below.",
            )
        )
        estimates.append(
            stat(
                f"Net return, {MODEL_WORDS[model]}",
                net_return(hours, total_spend),
                "percentunit",
                legend=PRESET_LEGEND,
                width=6,
                description=f"Per preset ({presets}): (value of the hours saved - spend) / spend; spend is usage"
                " plus pro-rated seats.",
            )
        )
    own = [
        stat(
            "Hours saved, your minutes per assisted commit",
            own_hours(),
            "h",
            decimals=1,
            width=6,
            description="Assisted commits x the minutes-per-commit variable.",
        ),
        stat(
            "Value of time saved, your minutes per assisted commit",
            f"{own_hours()} * $hourly_rate_usd",
            "currencyUSD",
            width=6,
        ),
        stat(
            "Net return, your minutes per assisted commit",
            net_return(own_hours(), total_spend),
            "percentunit",
            width=6,
        ),
        stat(
            "Value per dollar, your minutes per assisted commit",
            f"({own_hours()}) * $hourly_rate_usd / ({total_spend})",
            width=6,
            decimals=2,
            description="Value of time saved / spend (1 breaks even).",
        ),
    ]
    output = [
        stat(
            "Cost per commit",
            f"{usage_spend} / {ALL_COMMITS}",
            "currencyUSD",
            decimals=2,
            width=6,
            description="Usage spend divided by every commit the git hook saw, assisted or not.",
        ),
        stat(
            "Lines added per dollar",
            f"{LINES_ADDED} / {usage_spend}",
            decimals=1,
            width=6,
            description="Lines Claude Code added (not accepted edit decisions) per dollar of usage spend.",
        ),
        stat(
            "Pull requests (Claude Code)",
            PULL_REQUESTS,
            width=6,
            description="Pull requests Claude Code reports it created; whether they merged is not known.",
        ),
    ]
    output.append(
        stat(
            "Share of sessions that made a commit",
            f"{COMMITTING_SESSIONS} / {window(SESSIONS, PEOPLE)}",
            "percentunit",
            width=6,
            description="Agent sessions whose commits the git hook saw, over Claude Code sessions begun.",
        )
    )
    evidence = text("Evidence behind the presets", roi.citations_markdown(), width=24, height=9)
    return [
        Row("Adoption tiers", adoption),
        Row("ROI range: presets from published studies (hourly rate is the variable above)", estimates + [evidence]),
        Row("ROI from your own assumption", own),
        Row("Output per dollar", output),
    ]
