"""The usage measures of `report` beyond its figures: peak hours (UTC hour of day × weekday) of
active time and spend, and spend and tokens of MCP servers and tools. The same PromQL as the
Claude Code dashboard's "Usage patterns" row, without the dashboard's filters, over the report's
window. Lines per session and the time to commit are figures (agent_analytics/vocabulary/figures.py).

MCP tool calls are counted from the events, which are in Loki (the dashboard's "MCP tool calls"
panel); the report reads Prometheus only.
"""

from __future__ import annotations

from string import Template

from agent_analytics.vocabulary import series
from agent_analytics.vocabulary.hourly import by_hour_and_weekday
from agent_analytics.vocabulary.promql import WEEKDAYS, growth

RANGE = "$range"
COST = series.CLAUDE_COST
TOKENS = series.CLAUDE_TOKENS
ACTIVE = series.CLAUDE_ACTIVE_TIME
MCP = 'mcp_server_name!=""'
TOP_HOURS = 5

MEASURES: dict[str, tuple[str, tuple[str, ...]]] = {
    # name: (PromQL, labels of the result rows)
    "active_seconds_by_hour": (by_hour_and_weekday(ACTIVE, RANGE), ("weekday", "hour")),
    "spend_by_hour": (by_hour_and_weekday(COST, RANGE), ("weekday", "hour")),
    "mcp_spend": (
        f"sum by (mcp_server_name, mcp_tool_name) ({growth(f'{COST}{{{MCP}}}', RANGE)})",
        ("mcp_server_name", "mcp_tool_name"),
    ),
    "mcp_tokens": (
        f"sum by (mcp_server_name, mcp_tool_name) ({growth(f'{TOKENS}{{{MCP}}}', RANGE)})",
        ("mcp_server_name", "mcp_tool_name"),
    ),
}


def render(name: str, range_: str) -> str:
    return Template(MEASURES[name][0]).substitute(range=range_)


def _grid(result, key: str) -> list[dict]:
    """Cells of an hour × weekday grid with a value, busiest first."""
    cells = [
        {"weekday": WEEKDAYS[int(m["weekday"])], "day_of_week": int(m["weekday"]), "hour_utc": int(m["hour"]), key: v}
        for m, v in result
        if v
    ]
    return sorted(cells, key=lambda c: (-c[key], c["day_of_week"], c["hour_utc"]))


def build_measures(prom, end: int, seconds: int) -> dict:
    """The measures over the `seconds` before `end` (the report's window)."""
    r = {name: prom.query(render(name, f"{seconds}s"), end) for name in MEASURES}
    active = _grid(r["active_seconds_by_hour"], "active_seconds")
    spend = _grid(r["spend_by_hour"], "usd")
    tokens = {(m.get("mcp_server_name", ""), m.get("mcp_tool_name", "")): v for m, v in r["mcp_tokens"]}
    spend_mcp = {(m.get("mcp_server_name", ""), m.get("mcp_tool_name", "")): v for m, v in r["mcp_spend"]}
    mcp = [
        {
            "server": server,
            "tool": tool,
            "usd": spend_mcp.get((server, tool), 0.0),
            "tokens": tokens.get((server, tool), 0.0),
        }
        for server, tool in sorted(set(tokens) | set(spend_mcp))
    ]
    return {
        "peak_hours": {
            "timezone": "UTC",
            "active_seconds": active,
            "spend_usd": spend,
            "busiest_active_hours": active[:TOP_HOURS],
            "busiest_spend_hours": spend[:TOP_HOURS],
        },
        "mcp": {
            "by_tool": sorted(mcp, key=lambda row: (-row["usd"], -row["tokens"], row["server"], row["tool"])),
            "usd": sum(row["usd"] for row in mcp),
            "tokens": sum(row["tokens"] for row in mcp),
        },
    }


def rows(m: dict) -> list[list[str]]:
    """The measures as (label, value) lines of the report's "Usage patterns" table."""

    def num(v, digits=0, unit=""):
        return "-" if v is None else f"{v:,.{digits}f}{unit}"

    out = [
        [f"Busiest hour (active): {c['weekday']} {c['hour_utc']:02d}:00 UTC", num(c["active_seconds"] / 3600, 1, " h")]
        for c in m["peak_hours"]["busiest_active_hours"]
    ]
    out += [
        [f"Busiest hour (spend): {c['weekday']} {c['hour_utc']:02d}:00 UTC", f"${c['usd']:,.2f}"]
        for c in m["peak_hours"]["busiest_spend_hours"]
    ]
    out += [
        [f"MCP {row['server']} / {row['tool']}", f"${row['usd']:,.2f}, {num(row['tokens'])} tokens"]
        for row in m["mcp"]["by_tool"]
    ]
    ttc = m["time_to_commit"]
    out += [
        ["Lines added per session", num(m["lines_per_session"], 1)],
        ["Commits timed from their session's first prompt", num(ttc["commits_timed"])],
        ["Time to commit, mean", num(None if ttc["mean_seconds"] is None else ttc["mean_seconds"] / 60, 1, " min")],
        [
            "Time to commit, median (bucket estimate)",
            num(None if ttc["median_seconds_estimate"] is None else ttc["median_seconds_estimate"] / 60, 1, " min"),
        ],
    ]
    return out
