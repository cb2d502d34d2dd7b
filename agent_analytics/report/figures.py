"""The figures of `agent-analytics report`: the named queries run against Prometheus, then combined.

The tables and `--json` are both drawn from the dictionary `build_report` returns, so they
always show the same numbers.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from agent_analytics.vocabulary import roi
from agent_analytics.vocabulary.facts import ROI_DEFAULTS, SEAT_MONTH_SECONDS
from agent_analytics.vocabulary.spend import SPEND_SOURCE_AGENTS
from agent_analytics.wire.prom_query import Prometheus, PrometheusError  # noqa: F401

from .measures import build_measures
from .plan_limits import build_plan_limits
from .queries import QUERIES, render

RANGES = {"7d": 7 * 86400, "30d": 30 * 86400}
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
    moment = datetime.fromtimestamp(end, UTC)
    month_start = int(moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())
    mtd = max(1, end - month_start)
    if name == "mtd":
        return Window(name, end, mtd, mtd)
    if name not in RANGES:
        raise ValueError(f"unknown range {name!r}: use 7d, 30d or mtd")
    return Window(name, end, RANGES[name], mtd)


def _rows(result, labels: tuple[str, ...], value_key: str) -> list[dict]:
    rows = [{**{k: m.get(k, "") for k in labels}, value_key: v} for m, v in result]
    return sorted(rows, key=lambda r: (-r[value_key], *(r[k] for k in labels)))


def _scalar(result) -> float | None:
    return result[0][1] if result else None


def _by(result, label: str) -> dict[str, float]:
    return {m.get(label, ""): v for m, v in result}


def _keyed(result, labels: tuple[str, ...] = ("developer_id", "team_id")) -> dict[tuple, float]:
    return {tuple(m.get(k, "") for k in labels): v for m, v in result}


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


class Results(dict):
    """Every named query of QUERIES, run once over the window: name -> [(labels, value)]."""

    def by(self, name: str, label: str) -> dict[str, float]:
        return _by(self[name], label)

    def scalar(self, name: str) -> float | None:
        return _scalar(self[name])


def seat_rows(r: Results, months: float) -> list[dict]:
    """Seats paid per agent (Copilot's from its seat API) at their monthly price, over the window."""
    prices = r.by("seat_price_by_agent", "agent")
    seats = r.by("seats_paid_by_agent", "agent")
    copilot_seats = r.by("copilot_seats_by_state", "state")
    if "total" in copilot_seats:
        seats["copilot"] = copilot_seats["total"]
    return [
        {
            "agent": agent,
            "seats": seats[agent],
            "price_monthly_usd": prices.get(agent),
            "cost_usd": seats[agent] * prices[agent] * months if agent in prices else None,
        }
        for agent in sorted(seats)
    ]


def reconciliation(r: Results) -> dict[str, list[dict]]:
    """Per agent with both sources: each developer's telemetry and vendor figures and their difference."""
    out = {}
    for agent in SPEND_SOURCE_AGENTS:
        sides = {side: _keyed(r[f"reconcile_{agent}_{side}"]) for side in ("telemetry", "vendor", "difference")}
        out[agent] = [
            {
                "developer_id": developer,
                "team_id": team,
                "telemetry_usd": sides["telemetry"].get((developer, team)),
                "vendor_usd": sides["vendor"].get((developer, team)),
                "difference_usd": sides["difference"][(developer, team)],
            }
            for developer, team in sorted(sides["difference"])
        ]
    return out


def spend(r: Results, seats: list[dict]) -> dict:
    metered = sum(v for _, v in r["spend_by_team"])
    seat_spend = sum(row["cost_usd"] or 0.0 for row in seats)
    by_agent = [{"agent": m.get("agent", ""), "kind": "metered", "usd": v} for m, v in r["spend_by_agent"] if v]
    by_agent += [{"agent": row["agent"], "kind": "seats", "usd": row["cost_usd"]} for row in seats if row["cost_usd"]]
    return {
        "metered_usd": metered,
        "seats_usd": seat_spend,
        "total_usd": metered + seat_spend,
        "by_model": _rows(r["spend_by_model"], ("model",), "usd"),
        "by_developer": _rows(r["spend_by_developer"], ("developer_id", "team_id"), "usd"),
        "by_team": _rows(r["spend_by_team"], ("team_id",), "usd"),
        "by_agent": sorted(by_agent, key=lambda row: (-row["usd"], row["agent"], row["kind"])),
        "reconciliation": reconciliation(r),
    }


def rollout_coverage(r: Results) -> list[dict]:
    """Vendor API users whom telemetry or the git hook does not reach yet."""
    flags = {
        flag: _keyed(r[f"coverage_{flag}"], ("agent", "developer_id", "team_id")) for flag in ("telemetry", "git_hook")
    }
    return [
        {"agent": a, "developer_id": d, "team_id": t, **{flag: bool(flags[flag].get((a, d, t))) for flag in flags}}
        for a, d, t in sorted(flags["telemetry"])
    ]


def commits(r: Results, ai_spend: float) -> dict:
    by_agent = r.by("commits_by_agent", "agent")
    total = sum(by_agent.values()) if by_agent else None
    assisted = sum(v for agent, v in by_agent.items() if agent != "none") if by_agent else None
    return {
        "by_agent": by_agent,
        "total": total,
        "assisted": assisted,
        "assisted_share": _ratio(assisted, total),
        "cost_per_assisted_commit_usd": _ratio(ai_spend, assisted),
    }


def budgets(r: Results) -> list[dict]:
    budget = r.by("budget_by_team", "team_id")
    spend_mtd = r.by("spend_mtd_by_team", "team_id")
    rows = []
    for team in sorted(budget):
        used = _ratio(spend_mtd.get(team, 0.0), budget[team])
        status = "over" if used is not None and used > 1 else "warning" if (used or 0) >= BUDGET_WARNING_SHARE else "ok"
        rows.append(
            {
                "team_id": team,
                "budget_monthly_usd": budget[team],
                "spend_mtd_usd": spend_mtd.get(team, 0.0),
                "used_share": used,
                "status": status,
            }
        )
    return rows


def assumptions(r: Results, overrides: dict[str, float | None]) -> dict[str, dict]:
    """Each ROI assumption and where it came from: a flag, the exporter's roi config, or the default."""
    out = {}
    for key, default in ROI_DEFAULTS.items():
        flag, gauge = overrides.get(key), r.scalar(f"roi_{key}")
        value, source = (
            (flag, "flag") if flag is not None else (gauge, "exporter") if gauge is not None else (default, "default")
        )
        out[key] = {"value": value, "source": source}
    return out


def active_people(r: Results) -> tuple[set[str], dict[str, float]]:
    """Everyone with spend or agent activity, and each active developer's active days."""
    active_days = {d: v for d, v in r.by("active_days_by_developer", "developer_id").items() if v}
    spenders = {row["developer_id"] for row in _rows(r["spend_by_developer"], ("developer_id",), "usd") if row["usd"]}
    active_time = {d for d, v in r.by("active_seconds_by_developer", "developer_id").items() if v}
    return spenders | set(active_days) | active_time, active_days


def roi_figures(r: Results, win: Window, overrides: dict, ai_spend: float, assisted: float | None) -> dict:
    given = assumptions(r, overrides)
    rate = given["hourly_rate_usd"]["value"]
    people, active_days = active_people(r)
    committers = {d for d, v in r.by("commits_by_developer", "developer_id").items() if v}
    # `none` also holds committers without spend or agent activity
    tier_counts = roi.tiers({d: active_days.get(d, 0.0) for d in people | committers}, win.seconds)
    developer_days = sum(active_days.values())
    own_numbers = {
        key: overrides[key] if overrides.get(key) is not None else r.scalar(f"roi_{key}") for key in roi.OWN_KEYS
    }
    own_preset = roi.own_preset(own_numbers)
    estimates = roi.estimates(tier_counts, developer_days, win.seconds, rate, ai_spend, own_preset)
    own_hours = (assisted or 0.0) * given["minutes_saved_per_assisted_commit"]["value"] / 60
    return {
        "assumptions": given,
        "adoption": {
            "tiers": tier_counts,
            "developer_days": developer_days,
            "tier_min_days_per_week": roi.TIER_MIN_DAYS_PER_WEEK,
        },
        "spend_usd": ai_spend,
        "estimates": estimates,
        "range": {model: roi.value_range(by_preset) for model, by_preset in estimates.items()},
        "own_assumption": {
            "assisted_commits": assisted or 0.0,
            **roi.estimate(own_hours, rate, ai_spend),
            "value_per_dollar": _ratio(own_hours * rate, ai_spend),
        },
        "presets": {
            name: {"hours_per_week": p.hours_per_week, "output_uplift": p.output_uplift}
            for name, p in (roi.PRESETS | ({roi.OWN_PRESET: own_preset} if own_preset else {})).items()
        },
        "evidence": roi.citations(),
    }


def output_per_dollar(r: Results, metered: float, total_commits: float | None, assisted: float | None) -> dict:
    lines_added = r.by("lines_by_type", "type").get("added", 0.0)
    pull_requests = r.scalar("pull_requests")
    sessions, committing = r.scalar("sessions"), r.scalar("committing_sessions")
    return {
        "usage_spend_usd": metered,
        "cost_per_commit_usd": _ratio(metered, total_commits),
        "cost_per_assisted_commit_usd": _ratio(metered, assisted),
        "pull_requests": pull_requests,
        "cost_per_pull_request_usd": _ratio(metered, pull_requests),
        "lines_added": lines_added,
        "lines_added_per_dollar": _ratio(lines_added, metered),
        "accepted_edit_decisions": r.by("edit_decisions_by_decision", "decision").get("accept"),
        "sessions": sessions,
        "sessions_with_a_commit": committing,
        "share_of_sessions_with_a_commit": _ratio(committing, sessions),
    }


def copilot(r: Results) -> dict:
    generations = r.scalar("copilot_generations_daily")
    acceptances = r.scalar("copilot_acceptances_daily")
    seats = r.by("copilot_seats_by_state", "state")
    return {
        "daily_code_generation_activities": generations,
        "daily_code_acceptance_activities": acceptances,
        "acceptance_rate": _ratio(acceptances, generations),
        "seats": seats,
        "seat_utilisation": _ratio(seats.get("active_this_cycle"), seats.get("total")),
    }


def build_report(prom: Prometheus, win: Window, roi_overrides: dict[str, float | None] | None = None) -> dict:
    r = Results({name: prom.query(render(name, f"{win.seconds}s", f"{win.mtd_seconds}s"), win.end) for name in QUERIES})
    seats = seat_rows(r, win.seconds / SEAT_MONTH_SECONDS)
    money = spend(r, seats)
    made = commits(r, money["total_usd"])
    return {
        "prometheus": prom.url,
        "range": win.name,
        "window": {
            "start": datetime.fromtimestamp(win.start, UTC).isoformat(),
            "end": datetime.fromtimestamp(win.end, UTC).isoformat(),
            "seconds": win.seconds,
        },
        "spend": money,
        "rollout_coverage": rollout_coverage(r),
        "tokens": {
            "claude-code": r.by("tokens_by_type", "type"),
            "gemini-cli": r.by("gemini_tokens_by_type", "type"),
            "codex": r.by("codex_tokens_by_type", "token_type"),
        },
        "usage": {
            "sessions": r.scalar("sessions"),
            "active_developers": len(active_people(r)[0]),
            "developers_with_claude_code_active_time": r.scalar("active_developers"),
            "active_hours_by_type": {k: v / 3600 for k, v in r.by("active_seconds_by_type", "type").items()},
            "lines_by_type": r.by("lines_by_type", "type"),
        },
        "commits": made,
        "copilot": copilot(r),
        "seats": seats,
        "budgets": budgets(r),
        "roi": roi_figures(r, win, roi_overrides or {}, money["total_usd"], made["assisted"]),
        "output_per_dollar": output_per_dollar(r, money["metered_usd"], made["total"], made["assisted"]),
        "measures": build_measures(prom, win.end, win.seconds),
        "plan_limits": build_plan_limits(prom, win.end, win.seconds),
    }
