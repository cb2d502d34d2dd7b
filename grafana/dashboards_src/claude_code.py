"""2. Claude Code usage: tokens, cache, sessions, time, output and edit decisions from the
metrics; latency, errors, tools and cost per session/prompt from the events in Loki; usage
patterns (peak hours, MCP servers and tools, lines per session, time to commit)."""

from dataclasses import replace

from agent_analytics.vocabulary.promql import WEEKDAYS

from . import usage_patterns as usage
from .builder import Panel, Row, bars, dashboard, logs, loki, matrix, prom, stat, table, timeseries
from .common import variables
from .figure_panels import bars_of, stat_of
from .queries import (
    ACTIVE_TIME,
    CC_COMMITS,
    DASHBOARD,
    EDIT_DECISIONS,
    GEMINI_TOKENS,
    PEOPLE,
    PEOPLE_MODEL,
    SESSIONS,
    STEP,
    TOKENS,
    events,
    per_interval,
    window,
)

S = replace(DASHBOARD, agent="")  # Claude Code's own dashboard: no agent to pick

CACHE_READ = window(TOKENS, f'{PEOPLE_MODEL}, type="cacheRead"')
ALL_INPUT = window(TOKENS, f'{PEOPLE_MODEL}, type=~"input|cacheRead|cacheCreation"')
API_REQUESTS = events("api_request")
TOOL_OK = events("tool_result", ' | success="true"')


def hour_weekday_grid(title: str, expr: str, unit: str, description: str) -> Panel:
    """A weekday (rows) × hour-of-day (columns, UTC) grid coloured by value."""
    weekdays = {str(i): name for i, name in enumerate(WEEKDAYS)}
    return matrix(title, expr, "weekday", "hour", unit, weekdays, description=description)


def usage_patterns_row() -> Row:
    return Row(
        "Usage patterns",
        [
            hour_weekday_grid(
                "Peak hours: active time (UTC)",
                usage.ACTIVE_BY_HOUR,
                "s",
                "Claude Code active time in each hour of the day (columns, UTC) and weekday (rows), added up"
                " over the time range's whole hours.",
            ),
            hour_weekday_grid(
                "Peak hours: spend (UTC)",
                usage.SPEND_BY_HOUR,
                "currencyUSD",
                "Claude Code spend in each hour of the day (columns, UTC) and weekday (rows), added up over"
                " the time range's whole hours.",
            ),
            stat_of("measures.lines_per_session", S, width=6),
            stat_of("measures.time_to_commit.mean_seconds", S, width=6),
            stat_of("measures.time_to_commit.median_seconds_estimate", S, width=6),
            stat_of("measures.time_to_commit.commits_timed", S, width=6),
            bars_of("measures.lines_per_session_by_developer", S, width=8),
            table(
                "MCP spend by server and tool",
                [prom(usage.MCP_SPEND, instant=True)],
                "currencyUSD",
                width=8,
                description="Cost of the requests Claude Code made for MCP tools (mcp_server.name /"
                " mcp_tool.name on its cost points).",
            ),
            table(
                "MCP tokens by server and tool",
                [prom(usage.MCP_TOKENS, instant=True)],
                width=8,
                description="Tokens of the requests made for MCP tools, all types.",
            ),
            bars(
                "MCP tool calls",
                [loki(usage.MCP_TOOL_CALLS, "{{tool_name}}", instant=True)],
                width=12,
                description="tool_result events of MCP tools, from Loki. Claude Code 2.1.2 and later name"
                " every MCP tool mcp_tool in its events (earlier releases mcp__<server>__<tool>); spend"
                " and tokens per server and tool are in the tables beside.",
            ),
            bars(
                "MCP tool failures",
                [loki(usage.MCP_TOOL_FAILURES, "{{tool_name}}", instant=True)],
                width=12,
                description="tool_result events of MCP tools with success=false.",
            ),
        ],
    )


def build() -> dict:
    tokens = Row(
        "Tokens",
        [
            timeseries(
                "Tokens by type",
                [prom(per_interval(TOKENS, PEOPLE_MODEL, by="type"), "{{type}}")],
                stack=True,
                interval=STEP,
            ),
            bars_of("tokens.claude-code", S, width=6),
            bars("Tokens by model (range)", [prom(window(TOKENS, PEOPLE_MODEL, by="model"), "{{model}}")], width=6),
            timeseries(
                "Claude Code and Gemini CLI tokens by model",
                [
                    prom(per_interval(TOKENS, PEOPLE_MODEL, by="model"), "Claude Code {{model}}"),
                    prom(per_interval(GEMINI_TOKENS, PEOPLE_MODEL, by="model"), "Gemini CLI {{model}}"),
                ],
                stack=True,
                interval=STEP,
            ),
            stat(
                "Cache hit ratio",
                f"{CACHE_READ} / {ALL_INPUT}",
                "percentunit",
                width=6,
                description="Share of input tokens served from the prompt cache (cacheRead / all input).",
            ),
            stat("Output tokens", window(TOKENS, f'{PEOPLE_MODEL}, type="output"'), width=6),
        ],
    )
    activity = Row(
        "Sessions and output",
        [
            stat_of("usage.claude_code_sessions", S),
            stat_of("usage.claude_code_active_hours", S),
            stat_of("usage.claude_code_lines_added", S),
            stat_of("usage.claude_code_lines_removed", S),
            stat(
                "Commits Claude Code made",
                window(CC_COMMITS, PEOPLE),
                description="Commits Claude Code reports it made.",
            ),
            stat_of("output.claude_code_pull_requests", S),
            timeseries(
                "Active time by type",
                [prom(per_interval(ACTIVE_TIME, PEOPLE, by="type"), "{{type}}")],
                "s",
                interval=STEP,
            ),
            timeseries("Sessions over time", [prom(per_interval(SESSIONS, PEOPLE), "sessions")], interval=STEP),
            stat_of("output.claude_code_edit_accept_rate", S, width=8),
            bars(
                "Edit decisions by tool and decision",
                [prom(window(EDIT_DECISIONS, PEOPLE, by="tool_name, decision"), "{{tool_name}} {{decision}}")],
                width=8,
            ),
            bars(
                "Edit decisions by language",
                [prom(window(EDIT_DECISIONS, PEOPLE, by="language"), "{{language}}")],
                width=8,
            ),
        ],
    )
    api = Row(
        "API requests and tools (events in Loki)",
        [
            timeseries(
                "API latency by model",
                [
                    loki(
                        f"quantile_over_time(0.5, {API_REQUESTS} | unwrap duration_ms [$__interval]) by (model)",
                        "p50 {{model}}",
                    ),
                    loki(
                        f"quantile_over_time(0.95, {API_REQUESTS} | unwrap duration_ms [$__interval]) by (model)",
                        "p95 {{model}}",
                    ),
                    loki(
                        f"quantile_over_time(0.99, {API_REQUESTS} | unwrap duration_ms [$__interval]) by (model)",
                        "p99 {{model}}",
                    ),
                ],
                "ms",
            ),
            timeseries(
                "API errors by status code",
                [
                    loki(
                        f"sum by (status_code) (count_over_time({events('api_error')} [$__interval]))",
                        "{{status_code}}",
                    ),
                ],
                stack=True,
            ),
            bars(
                "Tool success rate",
                [
                    loki(
                        f"sum by (tool_name) (count_over_time({TOOL_OK} [$__range]))"
                        f" / sum by (tool_name) (count_over_time({events('tool_result')} [$__range]))",
                        "{{tool_name}}",
                        instant=True,
                    )
                ],
                "percentunit",
            ),
            bars(
                "Tool duration (mean)",
                [
                    loki(
                        f"avg_over_time({events('tool_result')} | unwrap duration_ms [$__range]) by (tool_name)",
                        "{{tool_name}}",
                        instant=True,
                    )
                ],
                "ms",
            ),
            timeseries(
                "Time to first token by model",
                [
                    loki(
                        f"quantile_over_time(0.5, {API_REQUESTS} | unwrap ttft_ms [$__interval]) by (model)",
                        "p50 {{model}}",
                    ),
                    loki(
                        f"quantile_over_time(0.95, {API_REQUESTS} | unwrap ttft_ms [$__interval]) by (model)",
                        "p95 {{model}}",
                    ),
                ],
                "ms",
                description="ttft_ms of the api_request events (Claude Code 2.1.332 and later).",
            ),
            timeseries(
                "Cache writes by lifetime",
                [
                    loki(
                        f"sum(sum_over_time({API_REQUESTS} | unwrap cache_creation_5m_tokens [$__interval]))",
                        "5 min",
                    ),
                    loki(
                        f"sum(sum_over_time({API_REQUESTS} | unwrap cache_creation_1h_tokens [$__interval]))",
                        "1 hour",
                    ),
                ],
                stack=True,
                description="Prompt-cache writes by time to live: 1-hour writes are priced higher than 5-minute"
                " ones (cache_creation_5m_tokens / _1h_tokens of the api_request events, 2.1.332 and later).",
            ),
            bars(
                "API cost by model (events)",
                [
                    loki(
                        f"sum by (model) (sum_over_time({events('api_request')} | unwrap cost_usd [$__range]))",
                        "{{model}}",
                        instant=True,
                    )
                ],
                "currencyUSD",
            ),
            table(
                "Cost per session",
                [
                    loki(
                        f"topk(20, sum by (session_id) (sum_over_time({API_REQUESTS} | unwrap cost_usd [$__range])))",
                        instant=True,
                    )
                ],
                "currencyUSD",
            ),
            table(
                "Cost per prompt",
                [
                    loki(
                        f"topk(20, sum by (prompt_id) (sum_over_time({API_REQUESTS} | unwrap cost_usd [$__range])))",
                        instant=True,
                    )
                ],
                "currencyUSD",
            ),
            logs("API errors", events("api_error")),
        ],
    )
    return dashboard(
        "aa-claude-code",
        "Claude Code usage",
        "Tokens, sessions, output and edit decisions of Claude Code, and its API requests and "
        "tool calls from the events.",
        [tokens, activity, api, usage_patterns_row()],
        variables("team", "developer", "model"),
        time_from="now-7d",
        tags=("claude-code",),
    )
