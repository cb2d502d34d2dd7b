"""The "Usage patterns" panels of the Claude Code dashboard, and `report --json`, against ground
truth on known data in a real Prometheus:

- peak hours: counters written (remote write) at known UTC weekdays and hours, sampled every
  5 minutes as a scrape would, one series born mid-week; every (weekday, hour) cell of the
  active-time and spend grids equals the increments made in that hour;
- MCP servers and tools: the recorded Claude Code 2.1.332 session sent through the real
  collector three times, twice with `mcp_server.name` / `mcp_tool.name` on its cost and token
  points (as Claude Code sends them for requests made for an MCP tool), by two developers;
- MCP tool calls and failures: the recorded session's events, two of its tools renamed as
  Claude Code names MCP tools (`mcp_tool` since 2.1.2, `mcp__<server>__<tool>` before), through
  the real collector into a Loki stand-in that evaluates the panels' LogQL;
- lines per session, overall and per developer, from the same bodies;
- `report --json` gives the same numbers as the panels' queries at the same time.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from agent_analytics.collector.config import load_config as load_collector_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.vocabulary.hourly import grown
from tests.collector.agent_fixtures import CLAUDE_2_1_332, session_files
from tests.support import loopback
from tests.support.grafana_queries import substitute, targets
from tests.support.ground_truth import total, total_by
from tests.support.hourly_history import push_history
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.prometheus import Prometheus
from tests.support.rules import fast_rule_files
from tests.support.workstation import cli

pytestmark = pytest.mark.prometheus

BOARD = "Claude Code usage"
END = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday, 00:00 UTC: the grids cover the week before it
STEP = timedelta(minutes=5)
FIRST_SAMPLE = datetime(2026, 11, 15, 12, 2, 30, tzinfo=UTC)  # half a day before the week, off the hour

# (series labels, {moment: increment}); moments are UTC, never on a full hour
ACTIVE = "claude_code_active_time_seconds_total"
COST = "claude_code_cost_usage_USD_total"
HEAT_SERIES = [
    (
        {"__name__": ACTIVE, "developer_id": "heat.one", "team_id": "heat", "type": "cli"},
        {
            datetime(2026, 11, 15, 20, 12, 30, tzinfo=UTC): 999.0,  # the Sunday before the week: not counted
            datetime(2026, 11, 16, 9, 7, 30, tzinfo=UTC): 300.0,  # Monday 09
            datetime(2026, 11, 16, 9, 52, 30, tzinfo=UTC): 240.0,  # Monday 09
            datetime(2026, 11, 16, 10, 17, 30, tzinfo=UTC): 120.0,  # Monday 10
            datetime(2026, 11, 18, 14, 32, 30, tzinfo=UTC): 1800.0,  # Wednesday 14
            datetime(2026, 11, 22, 23, 57, 30, tzinfo=UTC): 45.0,  # Sunday 23, the week's last hour
        },
    ),
    (
        {"__name__": ACTIVE, "developer_id": "heat.one", "team_id": "heat", "type": "user"},
        {
            datetime(2026, 11, 16, 9, 22, 30, tzinfo=UTC): 60.0,  # Monday 09, a second series
            datetime(2026, 11, 21, 0, 2, 30, tzinfo=UTC): 30.0,  # Saturday 00
        },
    ),
    (
        {"__name__": COST, "developer_id": "heat.one", "team_id": "heat", "model": "claude-opus-5-5"},
        {
            datetime(2026, 11, 16, 9, 12, 30, tzinfo=UTC): 1.25,  # Monday 09
            datetime(2026, 11, 18, 14, 37, 30, tzinfo=UTC): 4.5,  # Wednesday 14
            datetime(2026, 11, 20, 17, 2, 30, tzinfo=UTC): 0.75,  # Friday 17
        },
    ),
]
# born on Thursday 11:02:30 already holding 50 (its first usage), then +10 in the same hour
BORN = {"__name__": ACTIVE, "developer_id": "heat.two", "team_id": "heat", "type": "cli"}
BORN_AT = datetime(2026, 11, 19, 11, 2, 30, tzinfo=UTC)
BORN_INCREMENTS = {BORN_AT: 50.0, datetime(2026, 11, 19, 11, 32, 30, tzinfo=UTC): 10.0}

# MCP: (developer, mcp server, mcp tool, lines added) of each replay of the recorded session
MCP_REPLAYS = [
    ("dev.one@example.com", None, None, None),
    ("dev.one@example.com", "github", "create_issue", None),
    ("dev.two@example.com", "linear", "list_issues", 30),
]


# tools of the recorded session renamed as MCP tools: Bash ran twice (one failed), Edit once
MCP_RENAMES = {"Bash": "mcp_tool", "Edit": "mcp__linear__list_issues"}


def renamed_events() -> tuple[list[bytes], int]:
    """The recorded event bodies with MCP tool names, and how many records they hold."""
    out, records = [], 0
    for path in session_files(CLAUDE_2_1_332, "session-tools"):
        if ".logs" not in path.name:
            continue
        request = ExportLogsServiceRequest.FromString(path.read_bytes())
        for rl in request.resource_logs:
            for sl in rl.scope_logs:
                for record in sl.log_records:
                    records += 1
                    for a in record.attributes:
                        if a.key == "tool_name" and a.value.string_value in MCP_RENAMES:
                            a.value.string_value = MCP_RENAMES[a.value.string_value]
        out.append(request.SerializeToString())
    return out, records


def mcp_truth(bodies: list[bytes]) -> tuple[dict[str, int], dict[str, int], int]:
    """Calls and failures per MCP tool name in the tool_result events of the bodies, and the
    time (ns) of the newest event."""
    calls: dict[str, int] = defaultdict(int)
    failures: dict[str, int] = defaultdict(int)
    newest = 0
    for body in bodies:
        for rl in ExportLogsServiceRequest.FromString(body).resource_logs:
            for sl in rl.scope_logs:
                for record in sl.log_records:
                    newest = max(newest, record.time_unix_nano)
                    a = {kv.key: kv.value.string_value for kv in record.attributes}
                    if a.get("event.name") == "tool_result" and a["tool_name"] in MCP_RENAMES.values():
                        calls[a["tool_name"]] += 1
                        failures[a["tool_name"]] += a["success"] == "false"
    return dict(calls), {k: v for k, v in failures.items() if v}, newest


def samples(increments: dict[datetime, float], first: datetime, last: datetime) -> list[tuple[int, float]]:
    """A counter sampled every 5 minutes from `first` to `last`, rising by the increments."""
    out, value, t = [], 0.0, first
    while t <= last:
        value += increments.get(t, 0.0)
        out.append((int(t.timestamp() * 1000), value))
        t += STEP
    return out


def heat_truth(metric: str) -> dict[tuple[str, str], float]:
    """(weekday 0 = Sunday, hour) -> the increments of `metric` made in that hour of the week."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    start = END - timedelta(days=7)
    groups = [*HEAT_SERIES, (BORN, BORN_INCREMENTS)]
    for labels, increments in groups:
        if labels["__name__"] != metric:
            continue
        for moment, amount in increments.items():
            if start <= moment < END:
                out[(str((moment.weekday() + 1) % 7), str(moment.hour))] += amount
    return dict(out)


def rewritten(developer_lines: int | None, server: str | None, tool: str | None) -> bytes:
    """The recorded metrics body, with MCP attributes on its cost and token points and, when
    given, another count of lines added."""
    request = ExportMetricsServiceRequest.FromString((CLAUDE_2_1_332 / "session-tools.metrics.pb").read_bytes())
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for point in metric.sum.data_points:
                    if server and metric.name in ("claude_code.cost.usage", "claude_code.token.usage"):
                        for key, value in (("mcp_server.name", server), ("mcp_tool.name", tool)):
                            kv = KeyValue(key=key)
                            kv.value.string_value = value
                            point.attributes.append(kv)
                    attributes = {a.key: a.value.string_value for a in point.attributes}
                    lines = metric.name == "claude_code.lines_of_code.count" and attributes.get("type") == "added"
                    if developer_lines is not None and lines:
                        point.as_double = float(developer_lines)
    return request.SerializeToString()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    work = tmp_path_factory.mktemp("usage-patterns")
    collector = CollectorService(
        load_collector_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=work / "collector")
    )
    collector.start()
    for developer, server, tool, lines in MCP_REPLAYS:
        r = loopback.post(
            f"{collector.endpoints['otlp_http']}/v1/metrics",
            content=rewritten(lines, server, tool),
            headers={"content-type": "application/x-protobuf", "x-developer-id": developer},
            timeout=10,
        )
        assert r.status_code == 200, r.text
    metrics_target = collector.endpoints["metrics"].split("//")[1].split("/")[0]
    rules = fast_rule_files(Path(tempfile.mkdtemp(prefix="aa-rules-")))
    prometheus = Prometheus(targets={"collector": [metrics_target]}, rule_files=rules, remote_write=True).start()
    try:
        last = END + timedelta(hours=2)
        series = [(labels, samples(inc, FIRST_SAMPLE, last)) for labels, inc in HEAT_SERIES]
        series.append((BORN, samples(BORN_INCREMENTS, BORN_AT, last)))
        assert push_history(prometheus.url, series) == sum(len(s) for _, s in series)
        prometheus.wait_targets_up()
        prometheus.wait_for('count(claude_code_cost_usage_USD_total{mcp_server_name!=""})', 2)
        prometheus.wait_for("sum(claude_code_session_count_total)", 3)
        prometheus.wait_for(grown("claude_code_session_count_total", "1h"), 3)  # the hourly rules took them in
        time.sleep(1.1)  # the first scrape lies before the whole second the tests evaluate at
        yield prometheus
    finally:
        prometheus.stop()
        collector.stop()


def panel(title: str):
    (target,) = [t for t in targets() if t.dashboard == BOARD and t.panel == title]
    return target


def run(prometheus: Prometheus, title: str, at: float, range_: str) -> list[dict]:
    return prometheus.query(substitute(panel(title), range_=range_), at=at)


def cells(rows: list[dict]) -> dict[tuple[str, str], float]:
    return {(r["metric"]["weekday"], r["metric"]["hour"]): float(r["value"][1]) for r in rows if float(r["value"][1])}


def report_json(prometheus: Prometheus, at: int) -> dict:
    done = cli("report", "--json", "--prometheus-url", prometheus.url, "--range", "7d", "--at", str(at))
    assert done.exit_code == 0, done.output
    return json.loads(done.output)["measures"]


def test_peak_hour_cells_equal_the_increments_made_in_each_weekday_and_hour(stack):
    active = cells(run(stack, "Peak hours: active time (UTC)", END.timestamp(), "7d"))
    spend = cells(run(stack, "Peak hours: spend (UTC)", END.timestamp(), "7d"))
    assert active == pytest.approx(heat_truth(ACTIVE), abs=1e-9)
    assert spend == pytest.approx(heat_truth(COST), abs=1e-9)
    # spelled out: Monday 09 holds 300 + 240 (cli) + 60 (user); Thursday 11 the born series' 50 + 10
    assert active[("1", "9")] == 600 and active[("4", "11")] == 60 and active[("0", "23")] == 45
    assert ("0", "20") not in active  # the Sunday before the week

    m = report_json(stack, int(END.timestamp()))["peak_hours"]
    assert {(str(c["day_of_week"]), str(c["hour_utc"])): c["active_seconds"] for c in m["active_seconds"]} == active
    assert {(str(c["day_of_week"]), str(c["hour_utc"])): c["usd"] for c in m["spend_usd"]} == spend
    assert [(c["weekday"], c["hour_utc"]) for c in m["busiest_active_hours"][:2]] == [("Wednesday", 14), ("Monday", 9)]
    text = cli("report", "--prometheus-url", stack.url, "--range", "7d", "--at", str(int(END.timestamp())))
    assert text.exit_code == 0, text.output
    assert "Busiest hour (active): Wednesday 14:00 UTC" in text.output and "0.5 h" in text.output


def test_mcp_spend_and_tokens_by_server_and_tool_equal_the_points_sent(stack):
    at = int(time.time())  # a whole second, as `report --at` takes it
    cost, tokens = total(CLAUDE_2_1_332, "claude_code.cost.usage"), total(CLAUDE_2_1_332, "claude_code.token.usage")
    assert cost == pytest.approx(0.073) and tokens == 10000 + 750 + 40000 + 2000
    spend = run(stack, "MCP spend by server and tool", at, "1h")
    got = {(r["metric"]["mcp_server_name"], r["metric"]["mcp_tool_name"]): float(r["value"][1]) for r in spend}
    assert got == pytest.approx({("github", "create_issue"): cost, ("linear", "list_issues"): cost})
    used = run(stack, "MCP tokens by server and tool", at, "1h")
    got_tokens = {(r["metric"]["mcp_server_name"], r["metric"]["mcp_tool_name"]): float(r["value"][1]) for r in used}
    assert got_tokens == {("github", "create_issue"): tokens, ("linear", "list_issues"): tokens}

    m = report_json(stack, at)["mcp"]
    assert [(r["server"], r["tool"], r["tokens"]) for r in m["by_tool"]] == [
        ("github", "create_issue", tokens),
        ("linear", "list_issues", tokens),
    ]
    assert [r["usd"] for r in m["by_tool"]] == [round(cost, 2)] * 2  # report --json gives money in cents


def test_lines_per_session_overall_and_by_developer(stack):
    at = int(time.time())  # a whole second, as `report --at` takes it
    lines = total_by(CLAUDE_2_1_332, "claude_code.lines_of_code.count", "type")["added"]
    assert lines == 11
    overall = run(stack, "Lines per session", at, "1h")
    assert float(overall[0]["value"][1]) == pytest.approx((lines + lines + 30) / 3)
    by_dev = {
        r["metric"]["developer_id"]: float(r["value"][1])
        for r in run(stack, "Lines per session by developer", at, "1h")
    }
    assert by_dev == {"dev.one@example.com": lines, "dev.two@example.com": 30}

    m = report_json(stack, at)
    assert m["lines_per_session"] == pytest.approx(float(overall[0]["value"][1]))
    assert m["lines_per_session_by_developer"] == by_dev


def test_mcp_tool_calls_and_failures_equal_the_events_sent(tmp_path):
    bodies, records = renamed_events()
    calls, failures, newest = mcp_truth(bodies)
    assert calls == {"mcp_tool": 2, "mcp__linear__list_issues": 1} and failures == {"mcp_tool": 1}
    with LokiStandin() as loki:
        collector = CollectorService(
            load_collector_config(
                None, grpc_port=0, http_port=0, metrics_port=0, data_dir=tmp_path / "collector", loki_url=loki.url
            )
        )
        collector.start()
        try:
            for body in bodies:
                r = loopback.post(
                    f"{collector.endpoints['otlp_http']}/v1/logs",
                    content=body,
                    headers={"content-type": "application/x-protobuf", "x-developer-id": "dev.one@example.com"},
                    timeout=10,
                )
                assert r.status_code == 200, r.text
            wait_until(lambda: len(loki.entries) == records, what="every event in Loki")
        finally:
            collector.stop()

        def counted(title: str) -> dict[str, int]:
            query = substitute(panel(title), range_="1h")
            r = loopback.get(f"{loki.url}/loki/api/v1/query", params={"query": query, "time": str(newest + 1)})
            assert r.status_code == 200, (query, r.text)
            return {row["metric"]["tool_name"]: int(row["value"][1]) for row in r.json()["data"]["result"]}

        assert counted("MCP tool calls") == calls
        assert counted("MCP tool failures") == failures
