"""`agent-analytics report`: the figures that matter, from Prometheus, in the terminal."""

import json
import math
import time
from pathlib import Path

import typer

from agent_analytics.cli.moments import parse_time
from agent_analytics.cli.options import PROMETHEUS_ALIAS
from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.history.demo.history import STATE_FILE
from agent_analytics.report import measures, plan_limits
from agent_analytics.report.presentation import formatted, line, usd, value_at
from agent_analytics.stack.paths import prometheus_url_for, resolve_tsdb
from agent_analytics.vocabulary import figures, words


def _table(title: str, columns: list[str], rows: list[list[str]]):
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows or [["no data"] + [""] * (len(columns) - 1)]:
        table.add_row(*row)
    return table


def _figure_table(data: dict, title: str, paths: list[str]):
    return _table(title, ["", "value"], [line(data, path) for path in paths])


def _by_table(data: dict, path: str, column: str, name=lambda value: value or "(none)"):
    """A figure given per label value: one row each, in words."""
    figure = figures.figure(path)
    rows = [[name(key), formatted(v, figure.unit)] for key, v in value_at(data, path).items()]
    return _table(figure.words, [column, figure.unit.replace("usd", "USD")], rows)


def _render(data: dict, console) -> None:
    w = data["window"]
    console.print(data["summary"], markup=False)
    console.print(f"[bold]Agent Analytics[/bold], {data['range']}: {w['start']} to {w['end']} ({data['prometheus']})")
    s = data["spend"]
    console.print(_figure_table(data, "Spend", ["spend.usage_usd", "spend.seats_usd", "spend.total_usd"]))
    console.print(_by_table(data, "spend.by_model_usd", "model"))
    console.print(_by_table(data, "spend.by_team_usd", "team"))
    vendor_only = data["usage"]["known_only_to_vendor_apis_usd"]
    console.print(
        _table(
            figures.figure("spend.by_developer_usd").words,
            ["developer", "team", "USD"],
            [
                [
                    (dev or "(unknown)") + (" (vendor API only: not set up with init)" if dev in vendor_only else ""),
                    ", ".join(s["teams_by_developer"].get(dev, [])),
                    usd(v),
                ]
                for dev, v in s["by_developer_usd"].items()
            ],
        )
    )
    by_agent = [
        [words.agent(agent), usd(s["usage_by_agent_usd"].get(agent)), usd(s["seats_by_agent_usd"].get(agent))]
        for agent in sorted(set(s["usage_by_agent_usd"]) | set(s["seats_by_agent_usd"]))
    ]
    console.print(_table("Spend by agent", ["agent", "usage", "seats in the window"], by_agent))
    _render_reconciliation(data, console)
    console.print(
        _table(
            "Rollout coverage: vendor API users without telemetry or git hook",
            ["agent", "developer", "team", "telemetry", "git hook"],
            [
                [words.agent(r["agent"]), r["developer_id"], r["team_id"], "yes" if r["telemetry"] else "no"]
                + ["yes" if r["git_hook"] else "no"]
                for r in data["rollout_coverage"]
            ],
        )
    )
    tokens = [
        [words.agent(agent), words.token_type(agent, kind) or kind, _count(v)]
        for agent, by_type in data["tokens"].items()
        for kind, v in sorted(by_type.items())
    ]
    console.print(_table("Tokens", ["agent", "type", "tokens"], tokens))
    u = data["usage"]
    usage = [line(data, "usage.active_developers")]
    usage += [["  of them known only through a vendor API (see Rollout coverage)", _count(len(vendor_only))]]
    usage += [line(data, p) for p in ("usage.claude_code_active_developers", "usage.claude_code_sessions")]
    usage += [line(data, "usage.claude_code_active_hours")]
    usage += [
        [f"  {words.active_time(kind)}", formatted(v, figures.HOURS)]
        for kind, v in u["claude_code_active_hours_by_type"].items()
    ]
    usage += [line(data, p) for p in ("usage.claude_code_lines_added", "usage.claude_code_lines_removed")]
    console.print(_table("Usage", ["", "value"], usage))
    c = data["commits"]
    made = [[f"Commits with {words.agent(agent)}", _count(v)] for agent, v in c["by_agent"].items()]
    made += [
        line(data, f"commits.{key}")
        for key in (
            "total",
            "assisted",
            "assisted_share",
            "cost_per_assisted_commit_with_seats_usd",
            "usage_cost_per_usage_assisted_commit_usd",
            "cost_per_commit_with_seats_usd",
        )
    ]
    console.print(_table("Commits (git)", ["", "value"], made))
    output = [path for path in figures.FIGURES if path.startswith("output.")]
    console.print(_figure_table(data, "Claude Code's output (its telemetry on both sides of each ratio)", output))
    console.print(_table("Usage patterns", ["", "value"], measures.rows(data["measures"])))
    cp = data["copilot"]
    copilot = [
        line(data, p) for p in ("copilot.daily_code_generation_activities", "copilot.daily_code_acceptance_activities")
    ]
    copilot += [line(data, "copilot.acceptance_rate")]
    copilot += [[f"Seats {words.seat_state(k)}", _count(v)] for k, v in sorted(cp["seats"].items())]
    copilot += [line(data, "copilot.seat_utilisation")]
    console.print(_table("GitHub Copilot", ["", "value"], copilot))
    seats = data["seats"]
    console.print(
        _table(
            "Seats",
            ["agent", "seats", "USD/seat/month", "cost in the window"],
            [
                [
                    words.agent(agent),
                    _count(n),
                    usd(seats["price_monthly_usd"].get(agent)),
                    usd(s["seats_by_agent_usd"].get(agent)),
                ]
                for agent, n in sorted(seats["paid"].items())
            ],
        )
    )
    console.print(
        _table(
            "Budgets (month to date; usage spend: seat licences are not in team budgets)",
            ["team", "budget/month", "spent", "used", "status"],
            [
                [
                    b["team_id"],
                    usd(b["budget_monthly_usd"]),
                    usd(b["spend_mtd_usd"]),
                    formatted(b["used_share"], figures.SHARE),
                ]
                + [b["status"]]
                for b in data["budgets"]
            ],
        )
    )
    _render_roi(data, console)
    for title, columns, rows in plan_limits.tables(data["plan_limits"]):
        console.print(_table(title, columns, rows))


def _demo_written_ago(data_dir: Path | None) -> float | None:
    """Seconds since `demo` last wrote into the TSDB of the stack on `data_dir`, if it did."""
    try:
        return time.time() - (resolve_tsdb(data_dir, None) / STATE_FILE).stat().st_mtime
    except OSError:
        return None


def _count(v) -> str:
    return formatted(v, figures.COUNT)


def _render_reconciliation(data: dict, console) -> None:
    for agent, vendor in figures.RECONCILED.items():
        rec = data["spend"]["reconciliation"][agent]
        rows = [
            [
                dev,
                usd(v),
                usd(rec["vendor_usd"].get(dev)),
                usd(rec["difference_usd"].get(dev)),
                formatted(rec["difference_share"].get(dev), figures.SHARE),
            ]
            for dev, v in sorted(rec["telemetry_usd"].items())
        ]
        title = f"Reconciliation, {words.agent(agent)}: telemetry vs the {vendor} API, developers both see"
        console.print(_table(title, ["developer", "telemetry", "vendor API", "difference", "of vendor API"], rows))
        only_t, only_v = rec["only_telemetry"], rec["only_vendor"]
        console.print(
            f"Seen by one source only (not a difference): {_people(only_t['developers'])} in telemetry only"
            f" ({usd(only_t['usd'])}), {_people(only_v['developers'])} in the {vendor} API only ({usd(only_v['usd'])})."
            " Totals take one source per developer."
        )


def _people(n: int) -> str:
    return f"{n:,} developer" + ("" if n == 1 else "s")


ASSUMPTION_WORDS = {
    "hourly_rate_usd": "hourly rate (USD)",
    "minutes_saved_per_assisted_commit": "minutes saved per assisted commit",
}


def _render_roi(data: dict, console) -> None:
    roi = data["roi"]
    presets = roi["presets"]
    rows = []
    for preset in presets:
        row = [preset]
        for model in ("time_based", "output_based"):
            m = roi[model]
            row += [
                formatted(m["hours_saved"].get(preset), figures.HOURS),
                usd(m["value_usd"].get(preset)),
                formatted(m["net_return"].get(preset), figures.SHARE),
            ]
        rows.append(row)
    console.print(
        _table(
            "ROI: a range over the presets (value of the hours saved at the hourly rate; net return = (value - spend)"
            " / spend)",
            ["preset", "hours, time-based", "value", "net return", "hours, output-based", "value", "net return"],
            rows,
        )
    )
    words, hours = line(data, "roi.break_even_hours_per_developer_week")
    rate = roi["assumptions"]["hourly_rate_usd"]["value"]
    console.print(
        f"{words}: {hours}, at {usd(rate)} an hour, pays for the AI spend (usage and seats) of"
        f" {usd(data['spend']['total_usd'])}. Compare it with what each preset assumes:"
    )
    console.print("  (hours saved per developer per week by adoption tier; extra output per developer-day)")
    for name, p in presets.items():
        hours = ", ".join(f"{tier} {h:g} h" for tier, h in p["hours_per_week"].items())
        console.print(f"  {name}: {hours}; output +{p['output_uplift']:.0%}")
    tiers = [path for path in figures.FIGURES if path.startswith("roi.adoption.")]
    console.print(_figure_table(data, "Adoption (active days per week in the window)", tiers))
    own = [path for path in figures.FIGURES if path.startswith("roi.own_assumption.")]
    console.print(_figure_table(data, "ROI from your own minutes per assisted commit", own))
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
        "30d",
        "--range",
        show_default=False,
        help="Window ending at --at: a Prometheus duration (7d, 90d, 12h, 1w) or mtd (month to date, UTC;"
        " default: 30d).",
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

    Every figure is defined once (agent_analytics/vocabulary/figures.py), with the PromQL the dashboards' panels run;
    --json gives the same numbers as data, each under its name.

    ROI assumptions come from the flags, else the exporter's roi config, else defaults, printed with their source.
    """
    from rich.console import Console

    from agent_analytics.report.figures import Prometheus, PrometheusError, build_report, window
    from agent_analytics.report.presentation import presented

    end = parse_time(at) if at is not None else math.ceil(time.time())
    try:
        win = window(range_, end)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--range") from None
    overrides = {
        "hourly_rate_usd": hourly_rate,
        "minutes_saved_per_assisted_commit": minutes_per_commit,
        "hours_saved_per_week_light": hours_light,
        "hours_saved_per_week_moderate": hours_moderate,
        "hours_saved_per_week_heavy": hours_heavy,
        "output_uplift": output_uplift,
    }
    url = prometheus or prometheus_alias or prometheus_url_for(data_dir)
    # the stack's own Prometheus: demo may have just written history it has not loaded yet
    written_ago = None if prometheus or prometheus_alias else _demo_written_ago(data_dir)
    try:
        data = presented(build_report(Prometheus(url), win, overrides), written_ago)
    except PrometheusError as e:
        raise RuntimeFailure(str(e)) from None
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        _render(data, Console())
