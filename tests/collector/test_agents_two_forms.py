"""The current agents' recorded sessions through both collector forms: the team collector (the
built OpenTelemetry Collector running collector/otelcol.yaml) exposes the same series, with the
same values, as the embedded collector, so one set of dashboards reads either.

Claude Code and Codex send deltas. Gemini CLI and the Copilot CLI send cumulative streams, which
the team collector turns into deltas with `initial_value: auto`: a stream that began before the
collector started has its first report skipped (so a restart never counts a total twice), and
every recorded session began before the test's collector did; those two agents are replayed into
the embedded form only (test_agents_replay.py)."""

import time

import pytest

from tests.collector.agent_fixtures import CLAUDE_2_1_332, CODEX, send_session, sessions
from tests.collector.payloads import series_diff
from tests.support.scrape import scrape

# Each agent's own series (the collectors' self-metrics differ by design).
AGENT_SERIES = {CLAUDE_2_1_332: ("claude_code_",), CODEX: ("codex_",)}
CASES = [(folder, session) for folder in AGENT_SERIES for session in sessions(folder)]


def agent_samples(service, prefixes: tuple[str, ...]) -> dict:
    return {k: v for k, v in scrape(service).series().items() if k[0].startswith(prefixes)}


@pytest.mark.parametrize(("folder", "session"), CASES, ids=[f"{f.name}/{s}" for f, s in CASES])
def test_every_recorded_session_gives_the_same_series_in_both_forms(folder, session, start_collector, start_otelcol):
    prefixes = AGENT_SERIES[folder]
    embedded = start_collector()
    send_session(embedded, folder, session)
    expected = agent_samples(embedded, prefixes)
    assert expected, "the embedded collector exposes the session's series"

    team = start_otelcol()
    send_session(team, folder, session)
    deadline = time.monotonic() + 15  # the team collector hands points on after its batch timeout
    while (got := agent_samples(team, prefixes)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert got == expected, series_diff(got, expected)
