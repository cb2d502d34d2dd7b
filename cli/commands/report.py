"""`agent-analytics report`: the figures that matter, from Prometheus, in the terminal."""

import json
import math
import time
from pathlib import Path

import typer

from agent_analytics.cli.moments import parse_time
from agent_analytics.cli.options import PROMETHEUS_ALIAS
from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.report import measures, plan_limits
from agent_analytics.stack.paths import prometheus_url_for


def _usd(v) -> str:
    return "-" if v is None else f"${v:,.2f}"


def _num(v, digits: int = 0) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def _pct(v) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def _table(title: str, columns: list[str], rows: list[list[str]]):
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows or [["no data"] + [""] * (len(columns) - 1)]:
        table.add_row(*row)
    return table


def _render(data: dict, console) -> None:
    w = data["window"]
    console.print(data["summary"], markup=False)
    console.print(f"[bold]Agent Analytics[/bold], {data['range']}: {w['start']} to {w['end']} ({data['prometheus']})")
    s = data["spend"]
    console.print(
        _table(
            "Spend",
            ["", "USD"],
            [
                ["Usage (every agent)", _usd(s["metered_usd"])],
                ["Seats", _usd(s["seats_usd"])],
                ["Total", _usd(s["total_usd"])],
            ],
        )
    )
    console.print(_table("Spend by model", ["model", "USD"], [[r["model"], _usd(r["usd"])] for r in s["by_model"]]))
    console.print(
        _table("Spend by team", ["team", "USD"], [[r["team_id"] or "(none)", _usd(r["usd"])] for r in s["by_team"]])
    )
    console.print(
        _table(
            "Spend by developer",
            ["developer", "team", "USD"],
            [[r["developer_id"] or "(unknown)", r["team_id"], _usd(r["usd"])] for r in s["by_developer"]],
        )
    )
    console.print(
        _table(
            "Spend by agent",
            ["agent", "kind", "USD"],
            [[r["agent"], "usage" if r["kind"] == "metered" else r["kind"], _usd(r["usd"])] for r in s["by_agent"]],
        )
    )
    console.print(
        _table(
            "Reconciliation: telemetry vs vendor API (totals take one per developer)",
            ["agent", "developer", "team", "telemetry", "vendor API", "difference"],
            [
                [agent, r["developer_id"] or "(unknown)", r["team_id"], _usd(r["telemetry_usd"]), _usd(r["vendor_usd"])]
                + [_usd(r["difference_usd"])]
                for agent, rows in s["reconciliation"].items()
                for r in rows
            ],
        )
    )
    console.print(
        _table(
            "Rollout coverage: vendor API users without telemetry or git hook",
            ["agent", "developer", "team", "telemetry", "git hook"],
            [
                [r["agent"], r["developer_id"], r["team_id"], "yes" if r["telemetry"] else "no"]
                + ["yes" if r["git_hook"] else "no"]
                for r in data["rollout_coverage"]
            ],
        )
    )
    tokens = [
        [agent, _words(kind), _num(v)]
        for agent, by_type in data["tokens"].items()
        for kind, v in sorted(by_type.items())
    ]
    console.print(_table("Tokens", ["agent", "type", "tokens"], tokens))
    u = data["usage"]
    usage = [
        ["Active developers (spend or activity, every agent)", _num(u["active_developers"])],
        ["Claude Code sessions", _num(u["sessions"])],
    ]
    usage += [[f"Active hours ({_words(k)})", _num(v, 1)] for k, v in sorted(u["active_hours_by_type"].items())]
    usage += [[f"Lines {_words(k)}", _num(v)] for k, v in sorted(u["lines_by_type"].items())]
    console.print(_table("Usage", ["", "value"], usage))
    c = data["commits"]
    commits = [[f"Commits ({agent})", _num(v)] for agent, v in sorted(c["by_agent"].items(), key=lambda kv: -kv[1])]
    commits += [
        ["Commits (all)", _num(c["total"])],
        ["Assisted commits", _num(c["assisted"])],
        ["Assisted share", _pct(c["assisted_share"])],
        ["AI spend per assisted commit", _usd(c["cost_per_assisted_commit_usd"])],
    ]
    console.print(_table("Commits (git)", ["", "value"], commits))
    console.print(_table("Usage patterns", ["", "value"], measures.rows(data["measures"])))
    cp = data["copilot"]
    copilot = [
        ["Code generations per report day", _num(cp["daily_code_generation_activities"], 1)],
        ["Code acceptances per report day", _num(cp["daily_code_acceptance_activities"], 1)],
        ["Acceptance rate", _pct(cp["acceptance_rate"])],
        *[[f"Seats ({_words(k)})", _num(v)] for k, v in sorted(cp["seats"].items())],
        ["Seat utilisation (active this cycle)", _pct(cp["seat_utilisation"])],
    ]
    console.print(_table("GitHub Copilot", ["", "value"], copilot))
    console.print(
        _table(
            "Seats",
            ["agent", "seats", "USD/seat/month", "cost in range"],
            [[r["agent"], _num(r["seats"]), _usd(r["price_monthly_usd"]), _usd(r["cost_usd"])] for r in data["seats"]],
        )
    )
    console.print(
        _table(
            "Budgets (month to date)",
            ["team", "budget/month", "spent", "used", "status"],
            [
                [
                    b["team_id"],
                    _usd(b["budget_monthly_usd"]),
                    _usd(b["spend_mtd_usd"]),
                    _pct(b["used_share"]),
                    b["status"],
                ]
                for b in data["budgets"]
            ],
        )
    )
    _render_roi(data, console)
    for title, columns, rows in plan_limits.tables(data["plan_limits"]):
        console.print(_table(title, columns, rows))


ASSUMPTION_WORDS = {
    "hourly_rate_usd": "hourly rate (USD)",
    "minutes_saved_per_assisted_commit": "minutes saved per assisted commit",
}


def _words(label: str) -> str:
    """A raw label value as words (active_this_cycle -> active this cycle)."""
    return label.replace("_", " ")


def _render_roi(data: dict, console) -> None:
    roi = data["roi"]
    out = data["output_per_dollar"]
    console.print(
        _table(
            "Output per dollar (usage spend)",
            ["", "value"],
            [
                ["Cost per commit (every commit)", _usd(out["cost_per_commit_usd"])],
                ["Cost per assisted commit", _usd(out["cost_per_assisted_commit_usd"])],
                ["Pull requests (Claude Code)", _num(out["pull_requests"])],
                ["Cost per pull request", _usd(out["cost_per_pull_request_usd"])],
                ["Lines added (Claude Code)", _num(out["lines_added"])],
                ["Lines added per dollar", _num(out["lines_added_per_dollar"], 1)],
                ["Accepted edit decisions (Claude Code)", _num(out["accepted_edit_decisions"])],
                ["Sessions that made a commit (git hook)", _num(out["sessions_with_a_commit"])],
                ["Share of Claude Code sessions that made a commit", _pct(out["share_of_sessions_with_a_commit"])],
            ],
        )
    )
    tiers = roi["adoption"]["tiers"]
    console.print(
        _table(
            "Adoption (active days per week in the window)",
            ["tier", "developers"],
            [[_words(tier), _num(n)] for tier, n in tiers.items()]
            + [["developer-days with an agent", _num(roi["adoption"]["developer_days"])]],
        )
    )
    rows = [
        [
            f"{_words(model).replace(' ', '-')}, {preset}",
            _num(e["hours_saved"], 1),
            _usd(e["value_usd"]),
            _pct(e["net_return"]),
        ]
        for model, by_preset in roi["estimates"].items()
        for preset, e in by_preset.items()
    ]
    own = roi["own_assumption"]
    rows.append(
        [
            "your minutes per assisted commit",
            _num(own["hours_saved"], 1),
            _usd(own["value_usd"]),
            _pct(own["net_return"]),
        ]
    )
    console.print(
        _table(
            "ROI estimates (net return = (value - spend) / spend)",
            ["estimate", "hours saved", "value", "net return"],
            rows,
        )
    )
    console.print(f"AI spend (usage and seats) in the window: {_usd(roi['spend_usd'])}.")
    a = roi["assumptions"]
    console.print(
        "Assumptions: "
        + "; ".join(f"{ASSUMPTION_WORDS[name]} = {item['value']:g} ({item['source']})" for name, item in a.items())
        + ". Change them with --hourly-rate, --minutes-per-commit or the exporter's roi config."
    )
    console.print("Presets and their evidence:")
    cited: dict[str, dict] = {}
    for item in roi["evidence"]:
        console.print(f"  {item['preset']}: {item['why']}.")
        cited |= {study["key"]: study for study in item["studies"]}
    for study in cited.values():
        console.print(f"  - {study['name']} ({study['year']}): {study['measured']}. {study['url']}")


def report(
    prometheus: str | None = typer.Option(
        None,
        "--prometheus-url",
        help="Prometheus base URL (default: the one `up` runs on --data-dir, else http://127.0.0.1:9090).",
    ),
    prometheus_alias: str | None = PROMETHEUS_ALIAS,
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Data folder of `agent-analytics up` (default: the user data folder)."
    ),
    range_: str = typer.Option(
        "30d", "--range", show_default=False, help="Window: 7d, 30d or mtd (month to date, UTC; default: 30d)."
    ),
    at: str = typer.Option(None, help="End of the window (unix seconds or ISO time; default: now)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON instead of tables."),
    hourly_rate: float = typer.Option(None, min=0, help="ROI: loaded cost of an engineering hour in USD."),
    minutes_per_commit: float = typer.Option(None, min=0, help="ROI: minutes saved per assisted commit."),
    hours_light: float = typer.Option(
        None, "--hours-per-week-light", min=0, help="ROI, your preset: hours saved per light user per week."
    ),
    hours_moderate: float = typer.Option(
        None, "--hours-per-week-moderate", min=0, help="ROI, your preset: hours saved per moderate user per week."
    ),
    hours_heavy: float = typer.Option(
        None, "--hours-per-week-heavy", min=0, help="ROI, your preset: hours saved per heavy user per week."
    ),
    output_uplift: float = typer.Option(
        None, min=0, help="ROI, your preset: extra output per developer-day with an agent (0.1 = 10%)."
    ),
) -> None:
    """Spend of every agent, tokens, sessions, assisted commits, Copilot, budgets and ROI from Prometheus.

    Every figure comes from one named PromQL query (agent_analytics/report/queries.py); --json gives the same numbers
    as data.

    ROI assumptions come from the flags, else the exporter's roi config, else defaults, printed with their source.
    """
    from rich.console import Console

    from agent_analytics.report.figures import Prometheus, PrometheusError, build_report, window
    from agent_analytics.report.presentation import presented

    if range_ not in ("7d", "30d", "mtd"):
        raise typer.BadParameter("use 7d, 30d or mtd", param_hint="--range")
    end = parse_time(at) if at is not None else math.ceil(time.time())
    overrides = {
        "hourly_rate_usd": hourly_rate,
        "minutes_saved_per_assisted_commit": minutes_per_commit,
        "hours_saved_per_week_light": hours_light,
        "hours_saved_per_week_moderate": hours_moderate,
        "hours_saved_per_week_heavy": hours_heavy,
        "output_uplift": output_uplift,
    }
    url = prometheus or prometheus_alias or prometheus_url_for(data_dir)
    try:
        data = presented(build_report(Prometheus(url), window(range_, end), overrides))
    except PrometheusError as e:
        raise RuntimeFailure(str(e)) from None
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        _render(data, Console())
