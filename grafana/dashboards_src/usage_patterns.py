"""PromQL and LogQL of the usage-pattern panels: when people use Claude Code (hour of day ×
weekday, UTC), which MCP servers and tools they use, lines per session, and the time from a
session's first prompt to the commits made in it (those two are figures of
agent_analytics.vocabulary.figures). `report` runs the same expressions
(agent_analytics.report.measures), so both give the same numbers."""

from __future__ import annotations

from agent_analytics.vocabulary.hourly import by_hour_and_weekday as hour_grid

from .queries import ACTIVE_TIME, COST, PEOPLE, PEOPLE_MODEL, TOKENS, events, window

# Claude Code's tool events name every MCP tool `mcp_tool` (2.1.2 and later; the server and tool
# are only inside tool_parameters, content the collector removes), earlier releases
# mcp__<server>__<tool>.
MCP_TOOL = 'tool_name=~"mcp_tool|mcp__.+"'
MCP_POINTS = 'mcp_server_name!=""'  # cost and token points of requests made for an MCP tool


def by_hour_and_weekday(metric: str, labels: str) -> str:
    return hour_grid(metric, "$__range", labels)


ACTIVE_BY_HOUR = by_hour_and_weekday(ACTIVE_TIME, PEOPLE)
SPEND_BY_HOUR = by_hour_and_weekday(COST, PEOPLE_MODEL)

# MCP: Claude Code puts mcp_server.name / mcp_tool.name on the cost and token points of requests
# made for an MCP tool (the collector keeps both as labels): spend and tokens per server and tool.
# The tool events count the calls.
MCP_SPEND = window(COST, f"{PEOPLE_MODEL}, {MCP_POINTS}", by="mcp_server_name, mcp_tool_name")
MCP_TOKENS = window(TOKENS, f"{PEOPLE_MODEL}, {MCP_POINTS}", by="mcp_server_name, mcp_tool_name")
MCP_TOOL_RESULTS = events("tool_result", f" | {MCP_TOOL}")
MCP_TOOL_CALLS = f"sum by (tool_name) (count_over_time({MCP_TOOL_RESULTS} [$__range]))"
MCP_TOOL_FAILURES = f'sum by (tool_name) (count_over_time({MCP_TOOL_RESULTS} | success="false" [$__range]))'
