"""The ROI rows of the AI spend & ROI dashboard: the range first (what the hours saved are worth
under each published preset, the break-even, what each preset assumes), then adoption tiers, the
estimates of every preset of agent_analytics.vocabulary.roi (time-based and output-based), the
estimate from the operator's own minutes per assisted commit, and the evidence behind the presets.
Every panel is a figure of agent_analytics.vocabulary.figures."""

from __future__ import annotations

from agent_analytics.vocabulary import roi
from agent_analytics.vocabulary.figures import MODEL_WORDS, TIER_WORDS, Scope

from .builder import Row, text
from .figure_panels import stat_of


def presets_markdown() -> str:
    """What each preset assumes, as a table (the headline's companion)."""
    tiers = tuple(roi.PRESETS["expected"].hours_per_week)
    lines = [
        "| preset | " + " | ".join(f"hours saved per {t} user a week" for t in tiers) + " | extra output |",
        "|---|" + "---|" * (len(tiers) + 1),
    ]
    for name, p in roi.PRESETS.items():
        hours = " | ".join(f"{p.hours_per_week[t]:g}" for t in tiers)
        lines.append(f"| **{name}** | {hours} | +{p.output_uplift:.0%} |")
    lines.append("")
    lines.append(
        "Each preset's studies and why: *Evidence behind the presets* below. Compare the break-even with the hours "
        "a week each preset assumes."
    )
    return "\n".join(lines)


def headline(s: Scope) -> list[Row]:
    """The ROI as a finance reader takes it: a range over the presets and the break-even, with
    what each preset assumes beside them; no single percentage."""
    return [
        Row(
            "ROI: a range over published evidence, not one number (hourly rate: the variable above)",
            [
                stat_of("roi.time_based.value_usd", s, width=8),
                stat_of("roi.break_even_hours_per_developer_week", s, width=4),
                text("What each preset assumes", presets_markdown(), width=12, height=4),
            ],
        )
    ]


def rows(s: Scope) -> list[Row]:
    adoption = [stat_of(f"roi.adoption.tiers.{t}", s, width=6) for t in TIER_WORDS]
    adoption.append(stat_of("roi.adoption.developer_days", s, width=6))
    estimates = []
    for model in MODEL_WORDS:
        estimates += [
            stat_of(f"roi.{model}.hours_saved", s, width=6),
            stat_of(f"roi.{model}.net_return", s, width=6),
        ]
    estimates.append(stat_of("roi.output_based.value_usd", s, width=12))
    own = [stat_of(f"roi.own_assumption.{key}", s, width=6) for key in ("hours_saved", "value_usd", "net_return")]
    own.append(stat_of("roi.own_assumption.value_per_dollar", s, width=6))
    evidence = text("Evidence behind the presets", roi.citations_markdown(), width=24, height=9)
    return [
        Row("Adoption tiers", adoption),
        Row("ROI presets in detail: hours saved and net return per preset", estimates + [evidence]),
        Row("ROI from your own assumption (minutes per assisted commit: the variable above)", own),
    ]
