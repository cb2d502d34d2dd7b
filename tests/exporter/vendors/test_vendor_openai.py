"""OpenAI's organization usage and costs as daily figures, read from a stand-in over a real socket."""

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from genai_prices import Usage, calc_price

from agent_analytics.exporter.config import OpenAIConfig
from agent_analytics.exporter.vendors.figures import ShapeError
from agent_analytics.exporter.vendors.openai import OpenAISource
from agent_analytics.vocabulary.series import VENDOR_BILLED, VENDOR_COST, VENDOR_REQUESTS, VENDOR_TOKENS
from tests.exporter.vendor_sources import assert_wrong_key_fails_quietly, identity_map, vendor_config
from tests.support.vendor_standins import Reply
from tests.support.vendor_standins.openai import FakeOpenAI

KEY = "sk-admin-test-5a4b3c2d1e0f"
TODAY = datetime.now(UTC).date()
D1, D2, D3 = (TODAY - timedelta(days=k) for k in (1, 2, 3))
USAGE = "/v1/organization/usage/completions"
COSTS = "/v1/organization/costs"
USERS = "/v1/organization/users"
CODEX, OTHER = "proj_codex", "proj_other"
IDENTITIES = {"default_team_id": "platform", "ann@acme.dev": {"developer_id": "ann", "team_id": "web"}}
USER_LIST = [
    {"id": "user-ann", "email": "ann@acme.dev", "name": "Ann", "role": "owner"},
    {"id": "user-bob", "email": "Bob@acme.dev", "name": "Bob", "role": "reader"},
    {"id": "user-cy", "email": "cy@acme.dev", "name": "Cy", "role": "reader"},
    {"id": "user-dee", "email": "dee@acme.dev", "name": "Dee", "role": "reader"},
    {"id": "user-eve", "email": "eve@acme.dev", "name": "Eve", "role": "reader"},
]


def use(day, user_id, model, project_id, given, cached, output, requests, api_key_id="key_a") -> dict:
    return {
        "day": day,
        "user_id": user_id,
        "model": model,
        "project_id": project_id,
        "api_key_id": api_key_id,
        "input_tokens": given,
        "input_cached_tokens": cached,
        "output_tokens": output,
        "num_model_requests": requests,
    }


USAGE_RECORDS = [
    use(D2, "user-ann", "gpt-5-codex", CODEX, 120_000, 80_000, 9_000, 40),
    use(D2, "user-ann", "gpt-5-codex", CODEX, 1_000, 0, 100, 2, api_key_id="key_b"),
    use(D2, "user-bob", "gpt-4.1", CODEX, 50_000, 10_000, 2_000, 11),
    use(D2, "user-ann", "gpt-5-codex", OTHER, 999_999, 0, 99_999, 99),  # another project
    use(D1, None, "gpt-5-codex", CODEX, 30_000, 5_000, 4_000, 7, api_key_id="key_ci"),  # an API key, no user
    use(D1, "user-gone", "gpt-5-codex", CODEX, 2_000, 0, 300, 1, api_key_id=None),  # unknown user, no key
    use(D1, "user-eve", "mystery-model-1", CODEX, 700, 0, 70, 3),  # a model the table does not know
]
COST_RECORDS = [
    {"day": D2, "project_id": CODEX, "line_item": "gpt-5-codex, input", "value": 1.25},
    {"day": D2, "project_id": CODEX, "line_item": "gpt-5-codex, output", "value": 0.5},
    {"day": D2, "project_id": OTHER, "line_item": "gpt-5-codex, input", "value": 3.0},
    {"day": D1, "project_id": CODEX, "line_item": "gpt-5-codex, input", "value": 0.8},
]


SETTINGS = {
    "admin_key_env": "AA_TEST_OPENAI_KEY",
    "projects": [CODEX],
    "agent": "codex",
    "poll_interval_seconds": 1,
    "refetch_days": 3,
    "max_retries": 3,
    "max_backoff_seconds": 0.05,
    "timeout_seconds": 5,
}


def config(url: str, **overrides):
    return vendor_config(OpenAIConfig, url, SETTINGS, **overrides)


def source(fake: FakeOpenAI, key: str = KEY, **overrides) -> OpenAISource:
    return OpenAISource(config(fake.url, **overrides), identity_map(IDENTITIES), key)


@pytest.fixture
def fake():
    with FakeOpenAI(KEY, max_buckets_per_page=2, max_users_per_page=2) as f:
        f.users = USER_LIST
        f.usage = USAGE_RECORDS
        f.costs = COST_RECORDS
        yield f


def as_table(days) -> dict:
    """{(day, series, developer_id, model or project_id, type): value} of fetched figures."""
    out = {}
    for day, figures in days.items():
        for f in figures:
            labels = dict(f.labels)
            assert (labels["source"], labels["agent"]) == ("openai", "codex")
            key = labels.get("model") or labels["project_id"]
            out[(day, f.name, labels.get("developer_id"), key, labels.get("type"))] = f.value
    return out


def table_price(model: str, day, given: int, cached: int, output: int) -> float:
    """The genai-prices table's price of the usage (its input count includes cached tokens)."""
    at = datetime.combine(day, datetime.min.time(), UTC)
    usage = Usage(input_tokens=given, cache_read_tokens=cached, output_tokens=output)
    return float(calc_price(usage, model, provider_id="openai", genai_request_timestamp=at).total_price)


def ground_truth(projects: set[str] | None) -> dict:
    """The figures the served records add up to, with each developer's cost priced by the table."""
    developer = {"user-ann": "ann", "user-bob": "bob@acme.dev", "user-eve": "eve@acme.dev"}
    out: dict = defaultdict(float)
    tokens: dict = defaultdict(lambda: [0, 0, 0])
    for r in USAGE_RECORDS:
        if projects and r["project_id"] not in projects:
            continue
        dev = developer.get(r["user_id"]) or f"api-key:{r['api_key_id'] or r['project_id']}"
        base = (r["day"], dev, r["model"])
        out[(base[0], VENDOR_TOKENS, dev, r["model"], "input")] += r["input_tokens"] - r["input_cached_tokens"]
        out[(base[0], VENDOR_TOKENS, dev, r["model"], "cache_read")] += r["input_cached_tokens"]
        out[(base[0], VENDOR_TOKENS, dev, r["model"], "output")] += r["output_tokens"]
        out[(base[0], VENDOR_REQUESTS, dev, r["model"], None)] += r["num_model_requests"]
        t = tokens[base]
        t[0], t[1], t[2] = t[0] + r["input_tokens"], t[1] + r["input_cached_tokens"], t[2] + r["output_tokens"]
    for (day, dev, model), (given, cached, output) in tokens.items():
        if model != "mystery-model-1":
            out[(day, VENDOR_COST, dev, model, None)] = table_price(model, day, given, cached, output)
    for c in COST_RECORDS:
        if not projects or c["project_id"] in projects:
            out[(c["day"], VENDOR_BILLED, None, c["project_id"], None)] += c["value"]
    return dict(out)


def assert_same(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for key, expected in want.items():
        assert got[key] == pytest.approx(expected, rel=1e-12), key


def test_usage_of_the_configured_projects_per_developer_model_and_day(fake):
    src = source(fake)
    days = src.fetch_days(D3, D1)
    src.close()

    assert sorted(days) == [D3, D2, D1]
    assert days[D3] == []  # a day without usage is held, empty
    got = as_table(days)
    assert_same(got, ground_truth({CODEX}))
    # by hand: Ann's two keys on D2 add up; the other project's usage is left out
    assert got[(D2, VENDOR_TOKENS, "ann", "gpt-5-codex", "input")] == 41_000
    assert got[(D2, VENDOR_TOKENS, "ann", "gpt-5-codex", "cache_read")] == 80_000
    assert got[(D2, VENDOR_TOKENS, "ann", "gpt-5-codex", "output")] == 9_100
    assert got[(D2, VENDOR_REQUESTS, "ann", "gpt-5-codex", None)] == 42
    assert got[(D2, VENDOR_COST, "ann", "gpt-5-codex", None)] == pytest.approx(
        table_price("gpt-5-codex", D2, 121_000, 80_000, 9_100)
    )
    assert got[(D2, VENDOR_BILLED, None, CODEX, None)] == pytest.approx(1.75)
    assert not [k for k in got if k[3] == OTHER]
    # API-key usage, and a user the organization no longer lists
    assert got[(D1, VENDOR_REQUESTS, "api-key:key_ci", "gpt-5-codex", None)] == 7
    assert got[(D1, VENDOR_REQUESTS, "api-key:proj_codex", "gpt-5-codex", None)] == 1
    # an unknown model: tokens, no cost
    assert got[(D1, VENDOR_TOKENS, "eve@acme.dev", "mystery-model-1", "output")] == 70
    assert (D1, VENDOR_COST, "eve@acme.dev", "mystery-model-1", None) not in got

    team = {dict(f.labels).get("developer_id"): dict(f.labels).get("team_id") for fs in days.values() for f in fs}
    assert team == {"ann": "web", "bob@acme.dev": "platform", "eve@acme.dev": "platform", "api-key:key_ci": "platform",
                    "api-key:proj_codex": "platform", None: None}  # fmt: skip
    for path in (USAGE, COSTS):  # three days at two buckets a page; the project filter sent along
        calls = fake.requests_to(path)
        assert len(calls) == 2 and calls[1].query["page"] == ["page_2"]
        assert all(c.query["project_ids[]"] == [CODEX] and c.query["bucket_width"] == ["1d"] for c in calls)
    assert [c.query.get("after") for c in fake.requests_to(USERS)] == [None, ["user-bob"], ["user-dee"]]


def test_no_projects_configured_means_every_project(fake):
    src = source(fake, projects=[])
    days = src.fetch_days(D3, D1)
    src.close()
    got = as_table(days)
    assert_same(got, ground_truth(None))
    assert got[(D2, VENDOR_REQUESTS, "ann", "gpt-5-codex", None)] == 141
    assert got[(D2, VENDOR_BILLED, None, OTHER, None)] == 3.0
    assert all("project_ids[]" not in c.query for c in fake.requests_to(USAGE))


def test_a_priced_model_costs_its_tokens_times_the_table_price(fake):
    fake.usage = [use(D1, "user-bob", "gpt-4.1", CODEX, 1_000_000, 250_000, 100_000, 5)]
    src = source(fake)
    days = src.fetch_days(D1, D1)
    src.close()
    (cost,) = [f.value for f in days[D1] if f.name == VENDOR_COST]
    assert cost == pytest.approx(table_price("gpt-4.1", D1, 1_000_000, 250_000, 100_000), rel=1e-12)
    # gpt-4.1 in the table: $2 a million input tokens, $0.50 cached, $8 output
    assert cost == pytest.approx(750_000 * 2e-6 + 250_000 * 0.5e-6 + 100_000 * 8e-6)


def test_server_errors_are_retried(fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.fail(USAGE, Reply(500, {"error": {"message": "internal"}}), Reply(503, {"error": {"message": "busy"}}))
    fake.fail(COSTS, Reply(502, "Bad gateway"))
    src = source(fake)
    days = src.fetch_days(D3, D1)
    src.close()
    assert_same(as_table(days), ground_truth({CODEX}))
    assert len(fake.requests_to(USAGE)) == 4 and len(fake.requests_to(COSTS)) == 3
    assert caplog.text.count("retry") == 3
    assert KEY not in caplog.text
    assert all(c.headers["authorization"] == f"Bearer {KEY}" for c in fake.requests)


def test_a_wrong_key_is_an_auth_failure_without_the_key_in_it(fake, caplog):
    wrong = "sk-admin-wrong-999999"
    assert_wrong_key_fails_quietly(source(fake, key=wrong), D1, (KEY, wrong), caplog)


def test_today_is_left_out_until_it_is_complete(fake):
    fake.usage = [
        use(TODAY, "user-bob", "gpt-4.1", CODEX, 10, 0, 1, 1),
        use(D1, "user-bob", "gpt-4.1", CODEX, 20, 0, 2, 1),
    ]
    src = source(fake)
    days = src.fetch_days(D1, TODAY)
    src.close()
    assert list(days) == [D1]
    assert [f.value for f in days[D1] if f.name == VENDOR_TOKENS and dict(f.labels)["type"] == "input"] == [20]


@pytest.mark.parametrize(
    "path, reply",
    [
        (COSTS, {"data": [{"start_time": 0, "results": [{"project_id": CODEX, "amount": 3}]}], "has_more": False}),
        (USAGE, {"data": [{"start_time": 0, "results": [{"model": "gpt-5", "input_tokens": "lots"}]}]}),
        (USAGE, {"data": {"start_time": 0}}),
        (USERS, {"data": [{"id": "user-x"}], "has_more": False}),
    ],
    ids=["amount-not-an-object", "tokens-not-a-number", "data-not-a-list", "user-without-email"],
)
def test_a_malformed_answer_is_a_shape_error(fake, path, reply):
    fake.fail(path, Reply(200, reply))
    src = source(fake, projects=[])
    with pytest.raises(ShapeError):
        src.fetch_days(D1, D1)
    src.close()
