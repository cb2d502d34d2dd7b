"""Cursor's Admin API as daily figures and team gauges, read from a stand-in over a real socket."""

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from agent_analytics.exporter.config import CursorConfig
from agent_analytics.exporter.vendors.cursor import CursorSource
from agent_analytics.exporter.vendors.figures import ShapeError
from agent_analytics.exporter.vendors.pacer import Pacer
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.series import VENDOR_COST, VENDOR_REQUESTS, VENDOR_TOKENS
from tests.exporter.vendor_sources import assert_wrong_key_fails_quietly, identity_map, vendor_config
from tests.support.scrape import parse, value
from tests.support.vendor_standins import Reply
from tests.support.vendor_standins.cursor import FakeCursor

KEY = "key_cursor_admin_9f8e7d6c5b4a"
TODAY = datetime.now(UTC).date()
D1, D2 = TODAY - timedelta(days=1), TODAY - timedelta(days=2)
EVENTS = "/teams/filtered-usage-events"
TOKEN_FIELDS = {"inputTokens": "input", "outputTokens": "output", "cacheReadTokens": "cache_read"}
TOKEN_FIELDS["cacheWriteTokens"] = "cache_creation"
IDENTITIES = {
    "default_team_id": "platform",
    "ann@acme.dev": {"developer_id": "ann", "team_id": "web"},
}


def ms(day: date, hour=0, minute=0, second=0, milli=0) -> int:
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
    return int(moment.timestamp() * 1000) + milli


def event(at_ms: int, email: str, model: str, cents: float, tokens: dict | None = None) -> dict:
    e = {
        "timestamp": str(at_ms),  # the API sends epoch milliseconds as a string
        "userEmail": email,
        "model": model,
        "kind": "Usage-based",
        "maxMode": False,
        "isTokenBasedCall": tokens is not None,
        "isChargeable": cents > 0,
        "chargedCents": cents,
        "cursorTokenFee": 0,
    }
    if tokens is not None:
        e["tokenUsage"] = {**tokens, "totalCents": cents}
    return e


def usage(given, output, cache_read, cache_write) -> dict:
    return {
        "inputTokens": given,
        "outputTokens": output,
        "cacheReadTokens": cache_read,
        "cacheWriteTokens": cache_write,
    }


SETTINGS = {
    "api_key_env": "AA_TEST_CURSOR_KEY",
    "poll_interval_seconds": 1,
    "refetch_days": 3,
    "requests_per_minute": 10_000,
    "max_retries": 3,
    "max_backoff_seconds": 0.2,
    "timeout_seconds": 5,
}


def config(url: str, **overrides):
    return vendor_config(CursorConfig, url, SETTINGS, **overrides)


def source(fake: FakeCursor, key: str = KEY, **overrides) -> CursorSource:
    return CursorSource(config(fake.url, **overrides), identity_map(IDENTITIES), key)


def as_table(days) -> dict:
    """{(day, series, developer_id, model, type): value} of fetched figures."""
    out = {}
    for day, figures in days.items():
        for f in figures:
            labels = dict(f.labels)
            assert (labels["source"], labels["agent"]) == ("cursor", "cursor")
            out[(day, f.name, labels["developer_id"], labels["model"], labels.get("type"))] = f.value
    return out


def ground_truth(events: list[dict], developer_ids: dict[str, str]) -> dict:
    """What the served events add up to, computed here from the wire records."""
    out: dict = defaultdict(float)
    for e in events:
        day = datetime.fromtimestamp(int(e["timestamp"]) / 1000, UTC).date()
        key = (day, developer_ids[e["userEmail"]], e["model"])
        out[(key[0], VENDOR_COST, key[1], key[2], None)] += e["chargedCents"] / 100
        out[(key[0], VENDOR_REQUESTS, key[1], key[2], None)] += 1
        for field, kind in TOKEN_FIELDS.items():
            if "tokenUsage" in e:
                out[(key[0], VENDOR_TOKENS, key[1], key[2], kind)] += float(e["tokenUsage"][field])
    return dict(out)


@pytest.fixture
def fake():
    with FakeCursor(KEY, max_page_size=3) as f:
        yield f


def test_events_become_day_figures_per_developer_and_model(fake):
    fake.events = [
        event(ms(D2, 9), "ann@acme.dev", "claude-4.5-sonnet", 12.5, usage(1000, 200, 5000, 300)),
        event(ms(D2, 10), "ann@acme.dev", "claude-4.5-sonnet", 7.25, usage("400", "80", "1200", "0")),
        event(ms(D2, 23, 59, 59, 999), "ann@acme.dev", "gpt-5", 3, usage(10, 20, 30, 40)),
        event(ms(D1, 0, 0, 0, 0), "ann@acme.dev", "gpt-5", 4, usage(1, 2, 3, 4)),
        event(ms(D1, 8), "Bob@Acme.dev", "auto", 0),  # not token-based: no tokenUsage, no charge
        event(ms(D1, 9), "Bob@Acme.dev", "auto", 40),  # not token-based, but charged
        event(ms(D1, 11), "bob@acme.dev", "claude-4.5-sonnet", 15, usage("7", "8", "9", "10")),
    ]
    src = source(fake)
    days = src.fetch_days(D2, D1)
    src.close()

    assert sorted(days) == [D2, D1]
    got = as_table(days)
    assert got == ground_truth(
        fake.events, {"ann@acme.dev": "ann", "Bob@Acme.dev": "bob@acme.dev", "bob@acme.dev": "bob@acme.dev"}
    )
    # the same figures, by hand
    assert got[(D2, VENDOR_COST, "ann", "claude-4.5-sonnet", None)] == pytest.approx(0.1975)
    assert got[(D2, VENDOR_TOKENS, "ann", "claude-4.5-sonnet", "cache_read")] == 6200
    assert got[(D2, VENDOR_REQUESTS, "ann", "claude-4.5-sonnet", None)] == 2
    # the last millisecond of a day is that day's, the first of the next the next day's
    assert got[(D2, VENDOR_COST, "ann", "gpt-5", None)] == pytest.approx(0.03)
    assert got[(D1, VENDOR_COST, "ann", "gpt-5", None)] == pytest.approx(0.04)
    assert got[(D1, VENDOR_TOKENS, "ann", "gpt-5", "input")] == 1
    # events without tokenUsage count their charge and requests, and no tokens
    assert got[(D1, VENDOR_COST, "bob@acme.dev", "auto", None)] == pytest.approx(0.40)
    assert got[(D1, VENDOR_REQUESTS, "bob@acme.dev", "auto", None)] == 2
    assert not [k for k in got if k[1] == VENDOR_TOKENS and k[3] == "auto"]
    # seven events at three a page: three pages, in one request span
    assert [c.json()["page"] for c in fake.requests_to(EVENTS)] == [1, 2, 3]
    team_ids = {dict(f.labels)["developer_id"]: dict(f.labels)["team_id"] for fs in days.values() for f in fs}
    assert team_ids == {"ann": "web", "bob@acme.dev": "platform"}


def test_a_45_day_fetch_asks_in_spans_of_at_most_30_days(fake):
    first = TODAY - timedelta(days=46)
    last = first + timedelta(days=44)
    on = [first, first + timedelta(days=29), first + timedelta(days=30), last]
    fake.events = [event(ms(d, 12), "ann@acme.dev", "gpt-5", 100 + n) for n, d in enumerate(on)]
    src = source(fake)
    days = src.fetch_days(first, last)
    src.close()

    spans = [(c.json()["startDate"], c.json()["endDate"]) for c in fake.requests_to(EVENTS)]
    split = first + timedelta(days=30)
    assert spans == [(ms(first), ms(split) - 1), (ms(split), ms(last + timedelta(days=1)) - 1)]
    assert len(days) == 45 and min(days) == first and max(days) == last
    costs = {d: f.value for d, fs in days.items() for f in fs if f.name == VENDOR_COST}
    assert costs == {d: (100 + n) / 100 for n, d in enumerate(on)}
    assert sum(len(fs) for d, fs in days.items() if d not in on) == 0  # the other days: held, empty


def test_today_is_left_out_until_it_is_complete(fake):
    fake.events = [event(ms(TODAY, 0, 0, 1), "ann@acme.dev", "gpt-5", 5), event(ms(D1, 1), "ann@acme.dev", "gpt-5", 6)]
    src = source(fake)
    days = src.fetch_days(D1, TODAY)
    src.close()
    assert list(days) == [D1]
    assert [f.value for f in days[D1] if f.name == VENDOR_COST] == [0.06]


def test_429_waits_for_retry_after_and_the_key_is_never_shown(fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.events = [event(ms(D1, 3), "ann@acme.dev", "gpt-5", 9)]
    fake.fail(EVENTS, Reply(429, {"error": "Too many requests"}, {"Retry-After": "1"}))
    src = source(fake, max_backoff_seconds=5)
    days = src.fetch_days(D1, D1)
    registry = CollectorRegistry()
    registry.register(src.gauges())
    text = generate_latest(registry).decode()
    src.close()

    calls = fake.requests_to(EVENTS)
    assert len(calls) == 2
    assert 1.0 <= calls[1].at - calls[0].at < 3.0
    assert [f.value for f in days[D1] if f.name == VENDOR_COST] == [0.09]
    assert KEY not in caplog.text and KEY not in text
    assert "retry 1" in caplog.text


def test_a_wrong_key_is_an_auth_failure_without_the_key_in_it(fake, caplog):
    wrong = "key_cursor_admin_wrong_0000"
    assert_wrong_key_fails_quietly(source(fake, key=wrong), D1, (KEY, wrong), caplog)
    assert len(fake.requests) == 1  # a 401 is not retried


@pytest.mark.parametrize(
    "reply",
    [
        {"usageEvents": {"not": "a list"}, "pagination": {"hasNextPage": False}},
        {"usageEvents": [{**event(0, "ann@acme.dev", "gpt-5", 1), "timestamp": "yesterday"}], "pagination": {}},
        {
            "usageEvents": [{**event(0, "ann@acme.dev", "gpt-5", 1), "tokenUsage": {"inputTokens": "many"}}],
            "pagination": {},
        },
        {"usageEvents": []},
    ],
    ids=["events-not-a-list", "bad-timestamp", "bad-token-count", "no-pagination"],
)
def test_a_malformed_answer_is_a_shape_error(fake, reply):
    fake.fail(EVENTS, Reply(200, reply))
    src = source(fake)
    with pytest.raises(ShapeError):
        src.fetch_days(D1, D1)
    src.close()


def test_team_gauges_members_cycle_spend_and_limits():
    with FakeCursor(KEY, max_page_size=2) as fake:
        fake.members = [
            {"id": 1, "email": "ann@acme.dev", "name": "Ann", "role": "owner", "isRemoved": False},
            {"id": 2, "email": "bob@acme.dev", "name": "Bob", "role": "member", "isRemoved": False},
            {"id": 3, "email": "cy@acme.dev", "name": "Cy", "role": "member", "isRemoved": False},
            {"id": 4, "email": "old@acme.dev", "name": "Old", "role": "member", "isRemoved": True},
        ]
        spend = [("ann@acme.dev", 12345, 100, 250), ("bob@acme.dev", 678, 50, None), ("cy@acme.dev", 0, None, None)]
        spend += [("old@acme.dev", 99, None, None), ("stranger@else.where", 5000, 10, None)]
        fake.spend = [
            {
                "userId": n,
                "email": email,
                "name": email,
                "role": "member",
                "spendCents": cents,
                "overallSpendCents": cents,
                "fastPremiumRequests": 3,
                "monthlyLimitDollars": monthly,
                "hardLimitOverrideDollars": override,
            }
            for n, (email, cents, monthly, override) in enumerate(spend)
        ]
        fake.cycle_start_ms = ms(TODAY.replace(day=1), 7)
        src = source(fake)
        registry = CollectorRegistry()
        registry.register(src.gauges())
        assert generate_latest(registry) == b""  # nothing before the first poll
        src.fetch_days(D1, D1)
        metrics = parse(generate_latest(registry).decode())
        src.close()
        assert [c.json()["page"] for c in fake.requests_to("/teams/spend")] == [1, 2, 3]  # five entries, two a page

    g = "agent_analytics_cursor_"
    assert value(metrics, g + "members", state="active") == 3
    assert value(metrics, g + "members", state="removed") == 1
    spent = {lbl["developer_id"]: (lbl["team_id"], v) for lbl, v in metrics[g + "cycle_spend_usd"]}
    assert spent == {
        "ann": ("web", 123.45),
        "bob@acme.dev": ("platform", 6.78),
        "cy@acme.dev": ("platform", 0.0),
        "old@acme.dev": ("platform", 0.99),
    }
    limits = {lbl["developer_id"]: v for lbl, v in metrics[g + "monthly_limit_usd"]}
    assert limits == {"ann": 250, "bob@acme.dev": 50}  # the hard override wins; no limit, no sample
    assert value(metrics, g + "cycle_start_timestamp_seconds") == ms(TODAY.replace(day=1), 7) / 1000


def test_the_pacer_keeps_each_window_within_the_quota(fake):
    fake.events = [event(ms(D1, h), "ann@acme.dev", "gpt-5", 1) for h in range(7)]  # three pages
    fake.fail(EVENTS, Reply(429, {"error": "Too many requests"}, {"Retry-After": "0"}))  # a retry waits its turn too
    # The pacer's clock moves only when it sleeps, so the pacing is exact whatever the machine's load.
    now, pauses = [0.0], []

    def sleep(seconds: float) -> None:
        pauses.append((seconds, len(fake.requests)))  # how long, and how many requests went before
        now[0] += seconds

    pacer = Pacer(limit=2, window_seconds=0.5, clock=lambda: now[0], sleep=sleep)
    src = CursorSource(config(fake.url), identity_map(IDENTITIES), KEY, pacer=pacer)
    days = src.fetch_days(D1, D1)
    src.close()

    assert len(fake.requests) == 6  # members, spend, the 429, three pages of events
    # two requests, half a second's pause, two more (the retry among them), a pause, the last two
    assert [(pytest.approx(seconds), before) for seconds, before in pauses] == [(0.5, 2), (0.5, 4)]
    assert sum(f.value for f in days[D1] if f.name == VENDOR_REQUESTS) == 7


def test_hashed_identities_and_one_model_name(fake):
    identities = identity_map({"hash_emails": True, "hash_salt": "pepper"})
    fake.members = [{"id": 1, "email": "dee@acme.dev", "name": "Dee", "role": "member", "isRemoved": False}]
    fake.spend = [{"userId": 1, "email": "dee@acme.dev", "spendCents": 250, "monthlyLimitDollars": None}]
    fake.events = [event(ms(D1, 5), "Dee@acme.dev", "claude-opus-4-1[1m]", 30, usage(1, 2, 3, 4))]
    src = CursorSource(config(fake.url), identities, KEY)
    days = src.fetch_days(D1, D1)
    registry = CollectorRegistry()
    registry.register(src.gauges())
    text = generate_latest(registry).decode()
    src.close()

    pseudonym = identities.hash("dee@acme.dev")
    assert len(pseudonym) == 16
    assert {dict(f.labels)["developer_id"] for f in days[D1]} == {pseudonym}
    models = {dict(f.labels)["model"] for f in days[D1]}
    assert models == {"claude-opus-4-1"} == {normalise_model("claude-opus-4-1[1m]")}
    assert value(parse(text), "agent_analytics_cursor_cycle_spend_usd", developer_id=pseudonym) == 2.5
    assert "dee" not in text.lower()
