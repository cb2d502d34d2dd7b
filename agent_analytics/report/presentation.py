"""How `report` presents its figures: the one-line summary, amounts rounded to cents with the
displayed parts adding up to the displayed total, counts as integers, and what to do when the
window is empty. The tables and `--json` both show what `presented()` returns."""

from __future__ import annotations

from typing import Any

EMPTY_HINT = (
    "No agent data in this window. Run `agent-analytics demo` to load sample history, or set up "
    "agents with `agent-analytics init` (telemetry and the git hook) and the vendor APIs in the "
    "exporter config; then run `agent-analytics report` again."
)


def _is_money(key: str) -> bool:
    return key == "usd" or key.endswith("_usd")


def rounded(value: Any, key: str = "") -> Any:
    """Money to cents, whole numbers as integers; ratios, hours and everything else as they are."""
    if isinstance(value, dict):
        return {k: rounded(v, k if isinstance(k, str) else key) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, key) for v in value]
    if isinstance(value, float):
        if _is_money(key):
            return round(value, 2)
        if value.is_integer():
            return int(value)
    return value


def is_empty(data: dict) -> bool:
    return (
        not data["spend"]["total_usd"]
        and not data["usage"]["sessions"]
        and not data["commits"]["total"]
        and not data["usage"]["active_developers"]
    )


def summary(data: dict) -> str:
    """One line: spend, people, commits and the expected ROI with its range."""
    if is_empty(data):
        return EMPTY_HINT
    s, c, r = data["spend"], data["commits"], data["roi"]
    parts = [
        f"${s['total_usd']:,.2f} AI spend in {data['range']}"
        f" (usage ${s['metered_usd']:,.2f}, seats ${s['seats_usd']:,.2f})",
        f"{data['usage']['active_developers']:,} active developers",
    ]
    if c["total"]:
        parts.append(f"{c['assisted'] or 0:,} of {c['total']:,} commits assisted")
    expected = r["estimates"]["time_based"]["expected"]
    span = r["range"]["time_based"]
    if expected["net_return"] is not None:
        parts.append(
            f"net return {expected['net_return']:.0%} expected "
            f"({span['net_return_low']:.0%} to {span['net_return_high']:.0%} over the presets, time-based)"
        )
    return "; ".join(parts) + "."


def presented(data: dict) -> dict:
    """The report as shown: rounded, the total the sum of its shown parts, and a summary first."""
    out = rounded(data)
    spend = out["spend"]
    spend["total_usd"] = round(spend["metered_usd"] + spend["seats_usd"], 2)
    return {"summary": summary(out), **out}
