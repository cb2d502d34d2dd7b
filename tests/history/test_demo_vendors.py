"""The demo's other agents: Gemini CLI and Codex telemetry, vendor API day figures, who shows where,
and the Claude Code, git and Copilot history exactly what it was before they were added."""

from datetime import UTC, datetime

import pytest

from agent_analytics.exporter.vendors.figures import day_sample_time
from agent_analytics.history.demo import vendors
from agent_analytics.history.demo.codex import MODEL as CODEX_MODEL
from agent_analytics.history.demo.generate import generate
from agent_analytics.history.demo.organisation import cast
from agent_analytics.vocabulary import series
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.series import VENDOR_COST, VENDOR_DAY_SERIES, VENDOR_SESSIONS, VENDOR_TOKENS
from agent_analytics.vocabulary.token_prices import unit_prices

END = int(datetime(2026, 11, 18, 15, 0, tzinfo=UTC).timestamp())
DEVELOPERS, SEED, DAY = 7, 7, 86400
TELEMETRY_TOKEN_TYPE = {
    "input": "input",
    "output": "output",
    "cacheRead": "cache_read",
    "cacheCreation": "cache_creation",
}


@pytest.fixture(scope="module")
def runs():
    first = generate(DEVELOPERS, 28, seed=SEED, end=END - 2 * DAY)  # ends at 15:00: a day left open
    second = generate(DEVELOPERS, 30, seed=SEED, end=END, resume=first.state(SEED))
    return first, second


def vendor_samples(runs, name, **labels):
    """(labels, time, value) of every sample of a vendor day series over both runs."""
    return [
        (dict(key), t, v)
        for h in runs
        for (series, key), values in h.gauges.items()
        if series == name and labels.items() <= dict(key).items()
        for t, v in values.items()
    ]


def test_claude_code_git_and_copilot_history_is_what_it_was(runs):
    # figures of this seed from before the other agents were added to the demo
    for h, cost, tokens, commits, accepted in zip(
        runs, (501.62581500000005, 47.566934999999994), (332143201, 30161732), (466, 48), (31800, 1120), strict=True
    ):
        assert sum(h.total("claude_code_cost_usage_USD_total", h.start, h.end).values()) == cost
        assert sum(h.total("claude_code_token_usage_tokens_total", h.start, h.end).values()) == tokens
        assert sum(h.total("agent_analytics_git_commits_total", h.start, h.end).values()) == commits
        assert sum(h.gauge_samples("agent_analytics_copilot_code_acceptance_activities", h.start, h.end)) == accepted


def test_each_vendor_figure_is_one_sample_at_its_days_end_once_the_day_is_over(runs):
    samples = [(name, *s) for name in VENDOR_DAY_SERIES for s in vendor_samples(runs, name)]
    assert {labels["source"] for _, labels, _, _ in samples} == {"anthropic", "cursor", "openai"}
    seen = set()
    for name, labels, t, value in samples:
        day = datetime.fromtimestamp(t, UTC).date()
        assert t == day_sample_time(day) and t < END and value > 0
        key = (name, tuple(sorted(labels.items())), day)
        assert key not in seen  # written by one run only
        seen.add(key)
    # the day the first run left open (it ended at 15:00) is written by the second, once over
    open_day = datetime.fromtimestamp(runs[0].end, UTC).date()
    assert {t for _, _, t, _ in samples if t > runs[0].end} >= {day_sample_time(open_day)}
    assert max(t for _, _, t, _ in samples) == day_sample_time(datetime.fromtimestamp(END - DAY, UTC).date())


def test_one_developer_is_in_claude_code_telemetry_and_in_the_admin_api(runs):
    crew = cast(SEED, runs[0].developers)
    dev = crew.reconciled.developer_id
    first_day = runs[0].start // DAY * DAY
    equal = more = 0
    for day_start in range(first_day, END // DAY * DAY, DAY):
        at = day_sample_time(datetime.fromtimestamp(day_start, UTC).date())

        def telemetry(name, by, day_start=day_start):
            out: dict = {}
            for h in runs:
                for key, v in h.total(
                    name, day_start, day_start + DAY, by, lambda labels: labels["developer_id"] == dev
                ).items():
                    out[key] = out.get(key, 0) + v
            return {k: v for k, v in out.items() if v}

        def api(name, by, at=at):
            return {
                tuple(labels[b] for b in by): v
                for labels, t, v in vendor_samples(runs, name, developer_id=dev)
                if t == at
            }

        seen = telemetry("claude_code_token_usage_tokens_total", ("model", "type"))
        reported = api(VENDOR_TOKENS, ("model", "type"))
        as_api = {(normalise_model(vendors.DATED[m]), TELEMETRY_TOKEN_TYPE[k]): v for (m, k), v in seen.items()}
        sessions = (telemetry("claude_code_session_count_total", ()), api(VENDOR_SESSIONS, ()))
        if reported == as_api and sessions[0] == sessions[1]:
            equal += 1
            cost = telemetry("claude_code_cost_usage_USD_total", ("model",))
            assert api(VENDOR_COST, ("model",)) == pytest.approx(
                {(normalise_model(vendors.DATED[m]),): v for (m,), v in cost.items()}
            )
        else:  # plus a session on a machine without telemetry
            more += 1
            assert all(reported.get(k, 0) >= v for k, v in as_api.items()) and sessions[1][()] > sessions[0].get((), 0)
        if day_start == runs[0].end // DAY * DAY:  # the day both runs hold a part of: each part counts
            tokens = "claude_code_token_usage_tokens_total"
            first, second = (
                sum(h.total(tokens, day_start, day_start + DAY, (), lambda x: x["developer_id"] == dev).values())
                for h in runs
            )
            assert first > 0 and second > 0 and sum(reported.values()) >= first + second
    assert equal >= 10 and more >= 3


def test_people_only_in_vendor_apis_send_no_telemetry_nor_commits(runs):
    crew = cast(SEED, runs[0].developers)
    outsiders = {crew.claude_api_only.developer_id: {"anthropic"}, crew.api_key_user.developer_id: {"cursor", "openai"}}
    onboarded = {d.developer_id for d in runs[0].developers}
    assert not set(outsiders) & onboarded
    for h in runs:
        assert not {dict(key).get("developer_id") for _, key in h.counters} & set(outsiders)
    for dev, sources in outsiders.items():
        costs = vendor_samples(runs, VENDOR_COST, developer_id=dev)
        assert {labels["source"] for labels, _, _ in costs} == sources and sum(v for _, _, v in costs) > 0
    # vendor figures of the onboarded: the reconciled developer's Admin API rows and Cursor users
    cursor_users = {labels["developer_id"] for labels, _, _ in vendor_samples(runs, VENDOR_COST, source="cursor")}
    assert cursor_users == {d.developer_id for d in crew.cursor}


def test_other_agents_telemetry_and_vendor_models_have_prices_and_one_name(runs):
    h = runs[1]
    gemini = h.total(series.GEMINI_TOKENS, h.start, h.end, ("developer_id", "model", "type"))
    codex = h.total(series.CODEX_TOKENS, h.start, h.end, ("developer_id", "model", "token_type"))
    assert {d for d, _, _ in gemini} == {d.developer_id for d in cast(SEED, h.developers).gemini}
    assert {m for _, m, _ in gemini} == {"gemini-2.5-pro", "gemini-2.5-flash"}
    assert {m for _, m, _ in codex} == {"gpt-5-codex"}
    assert all(unit_prices("google", m) for _, m, _ in gemini) and unit_prices("openai", "gpt-5-codex")
    for d, m, _ in codex:  # input counts the cached part, total input and output
        assert codex[(d, m, "cached_input")] <= codex[(d, m, "input")]
        assert codex[(d, m, "total")] == codex[(d, m, "input")] + codex[(d, m, "output")]
    models = {labels["model"] for labels, _, _ in vendor_samples(runs, VENDOR_COST)}
    dated = [*vendors.DATED.values(), *(m for m, _, _ in vendors.CURSOR_MODELS), CODEX_MODEL]
    assert models <= {normalise_model(m) for m in dated}
    assert {labels["model"] for labels, _, _ in vendor_samples(runs, VENDOR_COST, source="anthropic")} == {
        normalise_model(m) for m in vendors.DATED.values()
    }


def test_month_to_date_holds_the_days_of_the_month_the_exporter_holds_by_then(runs):
    mtd = vendor_samples(runs, series.VENDOR_MONTH_TO_DATE)
    costs = vendor_samples(runs, VENDOR_COST)
    november = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
    checked = 0
    for at in (END, runs[0].end + 3600, november - 12 * 3600, november):
        month = int(datetime.fromtimestamp(at, UTC).replace(day=1, hour=0).timestamp())
        expected: dict = {}
        for labels, t, v in costs:
            if month <= t < at:  # a day is held once it is over (its sample sits in its last second)
                key = tuple(labels[k] for k in vendors.MONTH_TO_DATE_LABELS)
                expected[key] = expected.get(key, 0) + v
        got = {tuple(labels[k] for k in vendors.MONTH_TO_DATE_LABELS): v for labels, t, v in mtd if t == at}
        assert got == pytest.approx(expected), at
        checked += len(expected)
    assert checked > 10
    # the hour the first run ended in is written by both runs, with the same values
    at_the_seam = [vendor_samples([h], series.VENDOR_MONTH_TO_DATE) for h in runs]
    first, second = ({(tuple(labels.items()), v) for labels, t, v in s if t == runs[0].end} for s in at_the_seam)
    assert first == second and first
