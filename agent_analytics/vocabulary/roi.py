"""The ROI model: published evidence as data, and the PromQL from an organisation's figures to a
range of estimates. `report` and the AI spend & ROI dashboard both evaluate it, as figures of
agent_analytics/vocabulary/figures.py.

Two models, each under three presets:

* time-based: hours saved per active developer per week, by adoption tier (a developer's
  active days per week in the window);
* output-based: extra output per developer-day with the agent (pull requests per week in
  field experiments), turned into the working hours that output would otherwise take.

Lines and commits are not credited at all in the presets: lines sit inside commits, and neither
measures time. The operator's own assumption (minutes saved per assisted commit) is kept as a
third, separately named estimate; the operator's hourly rate prices every estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent_analytics.vocabulary import hourly

WEEK_SECONDS = 7 * 86400
WORKDAY_HOURS = 8.0  # the working time a developer-day with the agent stands for (output-based)
TIERS = ("none", "light", "moderate", "heavy")
# a developer's tier by active days per week in the window: bands this wide, light from the first
# active day, heavy from 4 (daily users of a work week) up. Bands of one width let the dashboard
# tell every developer's tier from one reading of the active days (tier_index_promql).
TIER_BAND_DAYS_PER_WEEK = 2.0
TIER_MIN_DAYS_PER_WEEK = {t: i * TIER_BAND_DAYS_PER_WEEK for i, t in enumerate(TIERS[1:])}


@dataclass(frozen=True)
class Study:
    name: str
    year: int
    measured: str
    url: str


STUDIES = {
    "metr": Study(
        "METR, Measuring the Impact of Early-2025 AI on Experienced Open-Source Developer Productivity",
        2025,
        "randomised trial, 16 experienced developers on their own repositories: 19% slower with AI "
        "(while they believed they were 20% faster)",
        "https://arxiv.org/abs/2507.09089",
    ),
    "dx": Study(
        "DX, AI-assisted engineering research (developer surveys with system telemetry)",
        2025,
        "self-reported time savings: 3.9 hours saved per developer per week on average, 4.72 for daily users",
        "https://getdx.com/blog/ai-measurement-hub",
    ),
    "peng": Study(
        "Peng et al., The Impact of AI on Developer Productivity: Evidence from GitHub Copilot",
        2023,
        "controlled experiment, one greenfield task (an HTTP server in JavaScript): 55.8% faster",
        "https://arxiv.org/abs/2302.06590",
    ),
    "field": Study(
        "Cui et al., The Effects of Generative AI on High-Skilled Work: Evidence from Three Field "
        "Experiments with Software Developers (Microsoft, Accenture)",
        2024,
        "field experiments, 4,867 developers: +8% to +22% pull requests per week (+26% tasks pooled)",
        "https://papers.ssrn.com/sol3/papers.cfm?abstract_id=4945566",
    ),
}


@dataclass(frozen=True)
class Preset:
    """hours_per_week: hours saved per developer per week, by tier (none saves nothing);
    output_uplift: extra output per developer-day with the agent (0.08 = 8% more)."""

    hours_per_week: dict[str, float]
    output_uplift: float
    sources: tuple[str, ...]
    why: str


PRESETS = {
    "conservative": Preset(
        {"light": 0.0, "moderate": 0.0, "heavy": 0.0},
        0.0,
        ("metr",),
        "experienced developers on their own code were slower with AI: assume no time saved",
    ),
    "expected": Preset(
        # light: the average for one day in a five-day week
        {"light": round(3.9 / 5, 2), "moderate": 3.9, "heavy": 4.72},
        0.08,
        ("dx", "field"),
        "DX's average (3.9 h) and daily users (4.72 h); the field experiments' lower bound (+8%)",
    ),
    "optimistic": Preset(
        # each tier one step up the DX figures; heavy: DX's daily users x Peng's 1.558 (55.8% faster)
        {"light": 3.9, "moderate": 4.72, "heavy": round(4.72 * 1.558, 2)},
        0.22,
        ("peng", "dx", "field"),
        "Peng's 55.8% faster on a greenfield task on top of DX's daily users; the field "
        "experiments' upper bound (+22%)",
    ),
}


# the operator's own preset: roi config keys (and `report` flags), each falling back to `expected`
OWN_PRESET = "yours"
OWN_KEYS = {f"hours_saved_per_week_{t}": t for t in ("light", "moderate", "heavy")} | {"output_uplift": None}


def own_preset(values: dict[str, float | None]) -> Preset | None:
    """The operator's preset from OWN_KEYS values, or None when none is given."""
    if all(values.get(k) is None for k in OWN_KEYS):
        return None
    base = PRESETS["expected"]
    hours = {
        t: h if (h := values.get(f"hours_saved_per_week_{t}")) is not None else base.hours_per_week[t]
        for t in base.hours_per_week
    }
    uplift = values.get("output_uplift")
    return Preset(hours, base.output_uplift if uplift is None else uplift, (), "your own numbers (roi config or flags)")


def citations() -> list[dict]:
    """Each preset's studies (name, year, what was measured, link)."""
    return [
        {"preset": name, "why": p.why, "studies": [vars(STUDIES[s]) | {"key": s} for s in p.sources]}
        for name, p in PRESETS.items()
    ]


def citations_markdown() -> str:
    lines = ["**Presets and their evidence**", ""]
    for name, p in PRESETS.items():
        hours = ", ".join(f"{t} {h:g} h" for t, h in p.hours_per_week.items())
        lines.append(f"* **{name}**: {hours} per developer per week; output +{p.output_uplift:.0%}. {p.why}.")
    lines.append("")
    for s in STUDIES.values():
        lines.append(f"* [{s.name} ({s.year})]({s.url}): {s.measured}.")
    lines.append("")
    lines.append(
        "Tiers by active days per week in the range: light under "
        f"{TIER_MIN_DAYS_PER_WEEK['moderate']:g}, moderate under {TIER_MIN_DAYS_PER_WEEK['heavy']:g}, "
        f"heavy from {TIER_MIN_DAYS_PER_WEEK['heavy']:g}. Output-based: developer-days with an agent x "
        f"{WORKDAY_HOURS:g} h x uplift / (1 + uplift). Net return = (value - spend) / spend."
    )
    return "\n".join(lines)


# --- PromQL (the dashboard; `report` runs the same active-days query) ---------------------------


def active_days_promql(active: str, vendor_cost: str, span: str, filters: str = "") -> str:
    """Per developer, the whole UTC days in `span` on which the developer was active with an agent:
    telemetry active time grew in one of the day's hours (the hourly series of the counter
    `active`, read as hourly.by_step reads them, so the day's last hour counts on that day though
    the rules write it after midnight), or a vendor API reported spend (day samples). `filters`
    are the dashboard's label matchers, if any."""
    hours = hourly.hourly_series(active)
    sel = (lambda m: f"{m}{{{filters}}}") if filters else (lambda m: m)
    day = (
        f"(group by (developer_id) (sum_over_time({sel(hours)}[1d] offset {hourly.HOUR_END_OFFSET}) > 0)"
        f" or group by (developer_id) (sum_over_time({sel(vendor_cost)}[1d]) > 0))"
    )
    # each daily step counts the day that ends at it; shifted by a millisecond so that a window
    # starting at midnight (month to date) leaves out the day before it in Prometheus 2 too, whose
    # ranges hold their start (Prometheus 3's leave it out)
    return f"sum by (developer_id) (count_over_time({day}[{span}:1d] offset -1ms))"


def _tier_index(name: str) -> int:
    """A tier's index in the bands of tier_index_promql (0 light)."""
    return TIERS.index(name) - 1


def tier_index_promql(active_days: str, range_seconds: str) -> str:
    """Per developer, the index of the tier in TIERS[1:] (0 light, 1 moderate, 2 heavy): the band
    of active days per week, the last band open-ended. Only developers with an active day have a
    series, so none is `none`."""
    per_week = f"({active_days}) * {WEEK_SECONDS} / {range_seconds}"
    return f"clamp_max(floor({per_week} / {TIER_BAND_DAYS_PER_WEEK:g}), {len(TIERS) - 2})"


def tier_count_promql(active_days: str, range_seconds: str, name: str) -> str:
    """How many developers are in tier `name` (not `none`, which needs the developers known)."""
    return f"(count({tier_index_promql(active_days, range_seconds)} == {_tier_index(name)}) or vector(0))"


def _constant(value: float, **labels: str) -> str:
    """A one-series vector of `value` with these labels."""
    out = f"vector({value!r})"
    for name, label in labels.items():
        out = f'label_replace({out}, "{name}", "{label}", "", "")'
    return out


def time_based_hours_promql(active_days: str, range_seconds: str, presets: dict[str, Preset] = PRESETS) -> str:
    """Hours saved of every preset (label `preset`): the developers of each tier, counted from one
    reading of the active days, times each preset's hours per developer per week, times the weeks
    of the range."""
    counts = f'count_values("tier_index", {tier_index_promql(active_days, range_seconds)})'
    hours = " or ".join(
        _constant(h, preset=name, tier_index=str(_tier_index(t)))
        for name, p in presets.items()
        for t, h in p.hours_per_week.items()
    )
    # every preset at 0 where no developer was active
    total = f"sum by (preset) (({hours}) * on (tier_index) group_left () ({counts})) or sum by (preset) (({hours}) * 0)"
    return f"({total}) * {range_seconds} / {WEEK_SECONDS}"


def output_based_hours_promql(active_days: str, presets: dict[str, Preset] = PRESETS) -> str:
    """Hours saved of every preset (label `preset`): developer-days x WORKDAY_HOURS x the share of
    their output the uplift stands for."""
    factors = " or ".join(
        _constant(WORKDAY_HOURS * p.output_uplift / (1 + p.output_uplift), preset=name) for name, p in presets.items()
    )
    return f"(sum({active_days}) or vector(0)) * on () group_right () ({factors})"
