"""The figures of `agent-analytics report`: every figure of agent_analytics/vocabulary/figures.py
over the report's window (the same PromQL the dashboards' panels run), and the tables besides
them (rollout coverage, budgets, usage patterns, the ROI presets and their evidence).

The tables and `--json` are both drawn from the dictionary `build_report` returns, so they
always show the same numbers.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from agent_analytics.vocabulary import roi
from agent_analytics.vocabulary.facts import ROI_DEFAULTS
from agent_analytics.vocabulary.figures import FIGURES, RECONCILED, Figure, Scope
from agent_analytics.vocabulary.promql import duration_seconds
from agent_analytics.wire.prom_query import Prometheus, PrometheusError  # noqa: F401

from .measures import build_measures
from .plan_limits import build_plan_limits
from .queries import QUERIES, render

MONTH_TO_DATE = "mtd"
BUDGET_WARNING_SHARE = 0.8


@dataclass(frozen=True)
class Window:
    name: str
    end: int
    seconds: int
    mtd_seconds: int

    @property
    def start(self) -> int:
        return self.end - self.seconds


def window(name: str, end: int) -> Window:
    """The window `name` (a Prometheus duration such as 7d, 90d or 12h, or mtd: since the first of
    the month, UTC) ending at `end`."""
    moment = datetime.fromtimestamp(end, UTC)
    month_start = int(moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())
    mtd = max(1, end - month_start)
    if name == MONTH_TO_DATE:
        return Window(name, end, mtd, mtd)
    seconds = duration_seconds(name)
    if seconds is None or seconds < 1:
        raise ValueError(f"{name!r} is not a window: give a duration such as 7d, 90d or 12h, or mtd")
    return Window(name, end, int(seconds), mtd)


def _set(out: dict, path: str, value) -> None:
    *parents, key = path.split(".")
    for part in parents:
        out = out.setdefault(part, {})
    out[key] = value


def evaluate(prom: Prometheus, figure: Figure, scope: Scope, at: int):
    """A figure's value: a number (None without data), or per label value, largest first."""
    result = prom.query(figure.promql(scope), at)
    if not figure.by:
        return result[0][1] if result else None
    rows = sorted(((m.get(figure.by, ""), v) for m, v in result), key=lambda kv: (-kv[1], kv[0]))
    return dict(rows)


def assumptions(configured: dict[str, float | None], overrides: dict[str, float | None]) -> dict[str, dict]:
    """Each ROI input and where it came from: a flag, the exporter's roi config, or the default."""
    out = {}
    for key, default in ROI_DEFAULTS.items():
        flag, gauge = overrides.get(key), configured.get(key)
        value, source = (
            (flag, "flag") if flag is not None else (gauge, "exporter") if gauge is not None else (default, "default")
        )
        out[key] = {"value": value, "source": source}
    return out


def rollout_coverage(r: dict) -> list[dict]:
    """Vendor API users whom telemetry or the git hook does not reach yet."""
    labels = ("agent", "developer_id", "team_id")
    flags = {
        flag: {tuple(m.get(k, "") for k in labels): v for m, v in r[f"coverage_{flag}"]}
        for flag in ("telemetry", "git_hook")
    }
    return [
        {"agent": a, "developer_id": d, "team_id": t, **{flag: bool(flags[flag].get((a, d, t))) for flag in flags}}
        for a, d, t in sorted(flags["telemetry"])
    ]


def budgets(r: dict) -> list[dict]:
    budget = {m.get("team_id", ""): v for m, v in r["budget_by_team"]}
    spent = {m.get("team_id", ""): v for m, v in r["spend_mtd_by_team"]}
    rows = []
    for team in sorted(budget):
        used = spent.get(team, 0.0) / budget[team] if budget[team] else None
        status = "over" if used is not None and used > 1 else "warning" if (used or 0) >= BUDGET_WARNING_SHARE else "ok"
        rows.append(
            {
                "team_id": team,
                "budget_monthly_usd": budget[team],
                "spend_mtd_usd": spent.get(team, 0.0),
                "used_share": used,
                "status": status,
            }
        )
    return rows


def teams_by_developer(r: dict) -> dict[str, list[str]]:
    """The teams each developer spent in, most first (a developer who changed team has two)."""
    out: dict[str, list[tuple[float, str]]] = {}
    for m, v in r["spend_by_developer_and_team"]:
        out.setdefault(m.get("developer_id", ""), []).append((-v, m.get("team_id", "")))
    return {dev: [team for _, team in sorted(teams)] for dev, teams in out.items()}


def one_side(rows: dict[str, float]) -> dict:
    return {"developers": len(rows), "usd": sum(rows.values())}


def value_range(by_preset: dict[str, float]) -> tuple[float | None, float | None]:
    """The lowest and highest of a figure over the published presets."""
    values = [v for preset, v in by_preset.items() if preset in roi.PRESETS]
    return (min(values), max(values)) if values else (None, None)


def roi_extras(out: dict, given: dict, own: roi.Preset | None) -> None:
    """What `report` adds to the ROI figures: the inputs and their sources, the range over the
    published presets, the presets themselves and their evidence."""
    section = out["roi"]
    section["assumptions"] = given
    ranges = {}
    for model in ("time_based", "output_based"):
        figures = section[model]
        span = {}
        for key, name in (
            ("hours_saved", "hours_saved_{}"),
            ("value_usd", "value_{}_usd"),
            ("net_return", "net_return_{}"),
        ):
            span[name.format("low")], span[name.format("high")] = value_range(figures[key])
        ranges[model] = span
    section["range"] = ranges
    section["presets"] = {
        name: {"hours_per_week": p.hours_per_week, "output_uplift": p.output_uplift}
        for name, p in (roi.PRESETS | ({roi.OWN_PRESET: own} if own else {})).items()
    }
    section["evidence"] = roi.citations()


def build_report(prom: Prometheus, win: Window, roi_overrides: dict[str, float | None] | None = None) -> dict:
    overrides = roi_overrides or {}
    r = {name: prom.query(render(name, f"{win.seconds}s", f"{win.mtd_seconds}s"), win.end) for name in QUERIES}
    configured = {key: (r[f"roi_{key}"][0][1] if r[f"roi_{key}"] else None) for key in ROI_DEFAULTS}
    given = assumptions(configured, overrides)
    own_numbers = {
        key: overrides[key] if overrides.get(key) is not None else (r[f"roi_{key}"][0][1] if r[f"roi_{key}"] else None)
        for key in roi.OWN_KEYS
    }
    own = roi.own_preset(own_numbers)
    scope = Scope(
        f"{win.seconds}s",
        str(win.seconds),
        hourly_rate=repr(float(given["hourly_rate_usd"]["value"])),
        minutes_per_commit=repr(float(given["minutes_saved_per_assisted_commit"]["value"])),
        own=own,
    )
    out: dict = {
        "prometheus": prom.url,
        "range": win.name,
        "window": {
            "start": datetime.fromtimestamp(win.start, UTC).isoformat(),
            "end": datetime.fromtimestamp(win.end, UTC).isoformat(),
            "seconds": win.seconds,
        },
    }
    for path, figure in FIGURES.items():
        _set(out, path, evaluate(prom, figure, scope, win.end))
    out["spend"]["teams_by_developer"] = teams_by_developer(r)
    for agent in RECONCILED:
        rec = out["spend"]["reconciliation"][agent]
        rec["only_telemetry"] = one_side(rec["only_telemetry_usd"])
        rec["only_vendor"] = one_side(rec["only_vendor_usd"])
    out["rollout_coverage"] = rollout_coverage(r)
    out["budgets"] = budgets(r)
    roi_extras(out, given, own)
    out["measures"] = build_measures(prom, win.end, win.seconds) | out.get("measures", {})
    out["plan_limits"] = build_plan_limits(prom, win.end, win.seconds)
    return out
