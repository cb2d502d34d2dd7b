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


def build_report(prom: Prometheus, win: Window, roi_overrides: dict[str, float | None] | None = None) -> dict:
    def run(name: str):
        return prom.query(render(name, f"{win.seconds}s", f"{win.mtd_seconds}s"), win.end)

    r = {name: run(name) for name in QUERIES}
    months = win.seconds / SEAT_MONTH_SECONDS

    spend_metered = sum(v for _, v in r["spend_by_team"])
    prices = _by(r["seat_price_by_agent"], "agent")
    seats = _by(r["seats_paid_by_agent"], "agent")
    copilot_seats = _by(r["copilot_seats_by_state"], "state")
    if "total" in copilot_seats:
        seats["copilot"] = copilot_seats["total"]
    seat_rows = [
        {
            "agent": agent,
            "seats": seats[agent],
            "price_monthly_usd": prices.get(agent),
            "cost_usd": seats[agent] * prices[agent] * months if agent in prices else None,
        }
        for agent in sorted(seats)
    ]
    seat_spend = sum(row["cost_usd"] or 0.0 for row in seat_rows)
    by_agent = [{"agent": m.get("agent", ""), "kind": "metered", "usd": v} for m, v in r["spend_by_agent"] if v]
    by_agent += [
        {"agent": row["agent"], "kind": "seats", "usd": row["cost_usd"]} for row in seat_rows if row["cost_usd"]
    ]
    ai_spend = spend_metered + seat_spend

    reconciliation = {}
    for agent in SPEND_SOURCE_AGENTS:
        sides = {side: _keyed(r[f"reconcile_{agent}_{side}"]) for side in ("telemetry", "vendor", "difference")}
        reconciliation[agent] = [
            {
                "developer_id": developer,
                "team_id": team,
                "telemetry_usd": sides["telemetry"].get((developer, team)),
                "vendor_usd": sides["vendor"].get((developer, team)),
                "difference_usd": sides["difference"][(developer, team)],
            }
            for developer, team in sorted(sides["difference"])
        ]
    flags = {
        flag: _keyed(r[f"coverage_{flag}"], ("agent", "developer_id", "team_id")) for flag in ("telemetry", "git_hook")
    }
    # vendor API users whom telemetry or the git hook does not reach yet
    coverage = [
        {"agent": a, "developer_id": d, "team_id": t, **{flag: bool(flags[flag].get((a, d, t))) for flag in flags}}
        for a, d, t in sorted(flags["telemetry"])
    ]

    commits = _by(r["commits_by_agent"], "agent")
    total_commits = sum(commits.values()) if commits else None
    assisted = sum(v for agent, v in commits.items() if agent != "none") if commits else None

    generations = _scalar(r["copilot_generations_daily"])
    acceptances = _scalar(r["copilot_acceptances_daily"])

    budgets = _by(r["budget_by_team"], "team_id")
    spend_mtd = _by(r["spend_mtd_by_team"], "team_id")
    budget_rows = []
    for team in sorted(budgets):
        used = _ratio(spend_mtd.get(team, 0.0), budgets[team])
        status = "over" if used is not None and used > 1 else "warning" if (used or 0) >= BUDGET_WARNING_SHARE else "ok"
        budget_rows.append(
            {
                "team_id": team,
                "budget_monthly_usd": budgets[team],
                "spend_mtd_usd": spend_mtd.get(team, 0.0),
                "used_share": used,
                "status": status,
            }
        )

    assumptions = {}
    for key, default in ROI_DEFAULTS.items():
        flag = (roi_overrides or {}).get(key)
        gauge = _scalar(r[f"roi_{key}"])
        value, source = (
            (flag, "flag") if flag is not None else (gauge, "exporter") if gauge is not None else (default, "default")
        )
        assumptions[key] = {"value": value, "source": source}
    rate = assumptions["hourly_rate_usd"]["value"]
    lines = _by(r["lines_by_type"], "type")
    lines_added = lines.get("added", 0.0)
    active_days = {d: v for d, v in _by(r["active_days_by_developer"], "developer_id").items() if v}
    spenders = {row["developer_id"] for row in _rows(r["spend_by_developer"], ("developer_id",), "usd") if row["usd"]}
    committers = {d for d, v in _by(r["commits_by_developer"], "developer_id").items() if v}
    active_time = {d for d, v in _by(r["active_seconds_by_developer"], "developer_id").items() if v}
    # everyone with spend or agent activity; `none` also holds committers without either
    active_people = spenders | set(active_days) | active_time
    known = {d: active_days.get(d, 0.0) for d in active_people | committers}
    tier_counts = roi.tiers(known, win.seconds)
    developer_days = sum(active_days.values())
    own_numbers = {}
    for key in roi.OWN_KEYS:
        flag = (roi_overrides or {}).get(key)
        own_numbers[key] = flag if flag is not None else _scalar(r[f"roi_{key}"])
    own_preset = roi.own_preset(own_numbers)
    estimates = roi.estimates(tier_counts, developer_days, win.seconds, rate, ai_spend, own_preset)
    own_hours = (assisted or 0.0) * assumptions["minutes_saved_per_assisted_commit"]["value"] / 60
    pull_requests = _scalar(r["pull_requests"])
    decisions = _by(r["edit_decisions_by_decision"], "decision")

    return {
        "prometheus": prom.url,
        "range": win.name,
        "window": {
            "start": datetime.fromtimestamp(win.start, UTC).isoformat(),
            "end": datetime.fromtimestamp(win.end, UTC).isoformat(),
            "seconds": win.seconds,
        },
        "spend": {
            "metered_usd": spend_metered,
            "seats_usd": seat_spend,
            "total_usd": ai_spend,
            "by_model": _rows(r["spend_by_model"], ("model",), "usd"),
            "by_developer": _rows(r["spend_by_developer"], ("developer_id", "team_id"), "usd"),
            "by_team": _rows(r["spend_by_team"], ("team_id",), "usd"),
            "by_agent": sorted(by_agent, key=lambda row: (-row["usd"], row["agent"], row["kind"])),
            "reconciliation": reconciliation,
        },
        "rollout_coverage": coverage,
        "tokens": {
            "claude-code": _by(r["tokens_by_type"], "type"),
            "gemini-cli": _by(r["gemini_tokens_by_type"], "type"),
            "codex": _by(r["codex_tokens_by_type"], "token_type"),
        },
        "usage": {
            "sessions": _scalar(r["sessions"]),
            "active_developers": len(active_people),
            "developers_with_claude_code_active_time": _scalar(r["active_developers"]),
            "active_hours_by_type": {k: v / 3600 for k, v in _by(r["active_seconds_by_type"], "type").items()},
            "lines_by_type": lines,
        },
        "commits": {
            "by_agent": commits,
            "total": total_commits,
            "assisted": assisted,
            "assisted_share": _ratio(assisted, total_commits),
            "cost_per_assisted_commit_usd": _ratio(ai_spend, assisted),
        },
        "copilot": {
            "daily_code_generation_activities": generations,
            "daily_code_acceptance_activities": acceptances,
            "acceptance_rate": _ratio(acceptances, generations),
            "seats": copilot_seats,
            "seat_utilisation": _ratio(copilot_seats.get("active_this_cycle"), copilot_seats.get("total")),
        },
        "seats": seat_rows,
        "budgets": budget_rows,
        "roi": {
            "assumptions": assumptions,
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
        },
        "output_per_dollar": {
            "usage_spend_usd": spend_metered,
            "cost_per_commit_usd": _ratio(spend_metered, total_commits),
            "cost_per_assisted_commit_usd": _ratio(spend_metered, assisted),
            "pull_requests": pull_requests,
            "cost_per_pull_request_usd": _ratio(spend_metered, pull_requests),
            "lines_added": lines_added,
            "lines_added_per_dollar": _ratio(lines_added, spend_metered),
            "accepted_edit_decisions": decisions.get("accept"),
            "sessions": _scalar(r["sessions"]),
            "sessions_with_a_commit": _scalar(r["committing_sessions"]),
            "share_of_sessions_with_a_commit": _ratio(_scalar(r["committing_sessions"]), _scalar(r["sessions"])),
        },
        "measures": build_measures(prom, win.end, win.seconds),
    }
