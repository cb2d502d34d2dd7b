"""How `report` presents its figures: the one-line summary, amounts rounded to cents with the
displayed parts adding up to the displayed total, counts as integers, each figure in its unit and
words, and what to do when the window is empty. The tables and `--json` both show what
`presented()` returns."""

from __future__ import annotations

from typing import Any

from agent_analytics.vocabulary import figures

EMPTY_HINT = (
    "No agent data in this window. Run `agent-analytics demo` to load sample history (a running Prometheus"
    " takes up to a minute to load it), or set up agents with `agent-analytics init` (telemetry and the git"
    " hook) and the vendor APIs in the exporter config; then run `agent-analytics report` again."
)


# how long after `demo` wrote its blocks an empty window means Prometheus has not loaded them yet
DEMO_LOADING_SECONDS = 180


def loading_hint(seconds_ago: float) -> str:
    return (
        f"Demo history was written {seconds_ago:.0f} seconds ago and Prometheus has not loaded it yet: a running"
        " Prometheus loads new blocks within a minute. Run `agent-analytics report` again then."
    )


def _is_money(key: str) -> bool:
    return key == "usd" or key.endswith("_usd")


def rounded(value: Any, key: str = "", money: bool = False) -> Any:
    """Money to cents (under a money key, every amount: a figure per label value is a dict of
    amounts), whole numbers as integers; ratios, hours and everything else as they are."""
    money = money or _is_money(key)
    if isinstance(value, dict):
        return {k: rounded(v, k if isinstance(k, str) else "", money) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, key, money) for v in value]
    if isinstance(value, float):
        if money:
            return round(value, 2)
        if value.is_integer():
            return int(value)
    return value


def usd(value: float | None) -> str:
    """Money as people write it: $1,234.50, -$20.18."""
    if value is None:
        return "-"
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def formatted(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == figures.USD:
        return usd(value)
    if unit == figures.SHARE:
        return f"{value * 100:,.1f}%"
    if unit == figures.COUNT:
        return f"{value:,.0f}"
    if unit == figures.SECONDS:
        return f"{value / 60:,.1f} min"
    if unit == figures.HOURS:
        return f"{value:,.1f} h"
    return f"{value:,.2f}"


def value_at(data: dict, path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def line(data: dict, path: str) -> list[str]:
    """A figure's row in the report's tables: its words and its value in its unit."""
    figure = figures.figure(path)
    return [figure.words, formatted(value_at(data, path), figure.unit)]


def is_empty(data: dict) -> bool:
    return (
        not data["spend"]["total_usd"]
        and not data["usage"]["claude_code_sessions"]
        and not data["commits"]["total"]
        and not data["usage"]["active_developers"]
    )


def summary(data: dict, demo_written_ago: float | None = None) -> str:
    """One line: spend, people, commits, and the ROI as the range the published evidence gives
    (no percentage: the presets disagree too much for one) and the break-even. An empty window
    says what to do, or that the demo history just written is still loading."""
    if is_empty(data):
        if demo_written_ago is not None and demo_written_ago < DEMO_LOADING_SECONDS:
            return loading_hint(demo_written_ago)
        return EMPTY_HINT
    s, c, u, r = data["spend"], data["commits"], data["usage"], data["roi"]
    parts = [
        f"{usd(s['total_usd'])} AI spend in {data['range']} (usage {usd(s['usage_usd'])}, seats {usd(s['seats_usd'])})"
    ]
    vendor_only = len(u["known_only_to_vendor_apis_usd"])
    people = f"{u['active_developers'] or 0:,} people active with an agent"
    if vendor_only:
        people += f" ({vendor_only:,} of them known only through vendor APIs: not set up with init yet)"
    parts.append(people)
    if c["total"]:
        parts.append(f"{c['assisted'] or 0:,} of {c['total']:,} commits assisted")
    span = r["range"]["time_based"]
    if span["value_high_usd"] is not None:
        parts.append(
            f"time saved worth {usd(span['value_low_usd'])} to {usd(span['value_high_usd'])} under the published"
            " presets (time-based, conservative to optimistic)"
        )
    if r["break_even_hours_per_developer_week"] is not None:
        parts.append(
            f"breaks even at {r['break_even_hours_per_developer_week']:.1f} h saved per active developer a week"
        )
    return "; ".join(parts) + "."


def presented(data: dict, demo_written_ago: float | None = None) -> dict:
    """The report as shown: rounded, the total the sum of its shown parts, and a summary first."""
    out = rounded(data)
    spend = out["spend"]
    spend["total_usd"] = round((spend["usage_usd"] or 0.0) + spend["seats_usd"], 2)
    return {"summary": summary(out, demo_written_ago), **out}
