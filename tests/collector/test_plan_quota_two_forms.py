"""The plan quota gauges the status line bridge sends (from a status line recorded from Claude
Code), through both collector forms: the same series, names, labels and values, in the team
collector (the built OpenTelemetry Collector running collector/otelcol.yaml) as in the embedded
one, with developer, team, window and plan as labels and nothing per session or per process."""

import json
import time
from pathlib import Path

from agent_analytics.vocabulary.series import PLAN_QUOTA_RESET, PLAN_QUOTA_USED
from agent_analytics.workstation import statusline_sender
from tests.collector.payloads import series_diff
from tests.support.scrape import scrape

STATUS = json.loads((Path(__file__).parents[1] / "fixtures/claude-code/statusline/rate-limits.json").read_text())
IDENTITY = {"developer.id": "ana@example.com", "team.id": "payments", "plan": "max-5x"}
LABELS = {"developer_id": "ana@example.com", "team_id": "payments", "plan": "max-5x"}


def expected() -> dict:
    """The recording's 42% and 17.3% as shares, and its reset times."""
    out = {}
    for key, window, used in (("five_hour", "5h", 0.42), ("seven_day", "7d", 0.173)):
        labels = frozenset({**LABELS, "window": window}.items())
        out[(PLAN_QUOTA_USED, labels)] = used
        out[(PLAN_QUOTA_RESET, labels)] = STATUS["rate_limits"][key]["resets_at"]
    return out


def test_plan_quota_gauges_are_the_same_series_in_both_forms(start_collector, start_otelcol):
    body = statusline_sender.request_body(statusline_sender.readings(STATUS), IDENTITY, time.time())
    want = expected()

    embedded = start_collector()
    statusline_sender.post(embedded.endpoints["otlp_http"], "", body)
    got = scrape(embedded).series("agent_analytics_plan_quota_")
    assert got == want, series_diff(got, want)

    team = start_otelcol()
    statusline_sender.post(team.endpoints["otlp_http"], "", body)
    deadline = time.monotonic() + 15  # the team collector hands points on after its batch timeout
    while (got := scrape(team).series("agent_analytics_plan_quota_")) != want and time.monotonic() < deadline:
        time.sleep(0.2)
    assert got == want, series_diff(got, want)
