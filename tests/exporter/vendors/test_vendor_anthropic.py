"""Claude Code Analytics (Admin API) and Claude Enterprise Analytics, polled from a stand-in that
speaks their wire formats over a real socket: exact figures per developer, model and day."""

import functools
import json
import logging
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from agent_analytics.config.errors import ConfigError
from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.service import ExporterService
from agent_analytics.exporter.vendors.days import VendorDays
from agent_analytics.exporter.vendors.figures import day_sample_time
from agent_analytics.exporter.vendors.poller import VendorPoller
from agent_analytics.exporter.vendors.sources import SOURCES
from agent_analytics.exporter.vendors.status import VendorStatusExposition
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.series import (
    VENDOR_COMMITS,
    VENDOR_COST,
    VENDOR_EDIT_DECISIONS,
    VENDOR_LINES,
    VENDOR_PULL_REQUESTS,
    VENDOR_REQUESTS,
    VENDOR_SESSIONS,
    VENDOR_TOKENS,
)
from agent_analytics.wire import remote_write
from tests.support.net import free_port, wait_until
from tests.support.prometheus import Prometheus
from tests.support.scrape import parse, scrape, value
from tests.support.vendor_standins import Reply
from tests.support.vendor_standins.anthropic import (
    COST_PATH,
    USAGE_PATH,
    AnthropicStandIn,
    api_key,
    cost_row,
    usage_record,
    user,
)

pytestmark = pytest.mark.long

KEY = "sk-ant-admin01-standin-secret-4d9f1c"
ANALYTICS_KEY = "sk-ant-api01-analytics-standin-secret-77e2"
ENV = "AA_TEST_ANTHROPIC_ADMIN_KEY"
ANALYTICS_ENV = "AA_TEST_ANTHROPIC_ANALYTICS_KEY"
NOW = time.time()
TODAY = datetime.fromtimestamp(NOW, UTC).date()
D = [TODAY - timedelta(days=k) for k in range(60)]  # D[k] = k days ago
SONNET, OPUS, HAIKU = "claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"
IDENTITIES = {"alice@example.com": {"developer_id": "alice", "team_id": "web"}, "default_team_id": "platform"}


def available(day: date) -> bool:
    """Whether the usage report gives `day` yet (data older than about an hour only)."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp()
    return end + 3600 <= time.time()


def exporter_config(standin: AnthropicStandIn, enterprise: bool = False, **overrides):
    raw = {
        "identities": IDENTITIES,
        "anthropic": {
            "admin_key_env": ENV,
            "api_url": standin.url,
            "refetch_days": 3,
            "history_days": 3,
            "max_retries": 4,
            "max_backoff_seconds": 0.2,
            **overrides,
        },
    }
    if enterprise:
        raw["anthropic_enterprise"] = {
            "analytics_key_env": ANALYTICS_ENV,
            "api_url": standin.url,
            "history_days": 40,
            "max_backoff_seconds": 0.2,
        }
    return parse_config(raw)


def make_poller(config, store: VendorDays, name: str = "anthropic", prometheus_url: str | None = None):
    factory = functools.partial(SOURCES[name], config, IdentityMap(config.identities))
    return VendorPoller(name, getattr(config, name), factory, store, prometheus_url)


def metrics(pollers: list[VendorPoller], store: VendorDays) -> str:
    registry = CollectorRegistry()
    registry.register(VendorStatusExposition(pollers, store))
    return generate_latest(registry).decode()


def labels(developer_id: str, team_id: str, source: str = "anthropic", **extra) -> tuple:
    base = {"source": source, "agent": "claude-code", "developer_id": developer_id, "team_id": team_id, **extra}
    return tuple(sorted(base.items()))


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv(ENV, KEY)
    monkeypatch.setenv(ANALYTICS_ENV, ANALYTICS_KEY)


@pytest.fixture
def standin():
    with AnthropicStandIn(KEY, ANALYTICS_KEY, max_page=2) as s:
        yield s


@pytest.fixture
def store(tmp_path):
    s = VendorDays(tmp_path / "data")
    yield s
    s.close()


# --- one day's figures ---------------------------------------------------------------------------

DAY = D[2]


def a_day_of_five_records(day: date) -> list[dict]:
    return [
        usage_record(
            day,
            user("Alice@Example.com"),
            {
                SONNET: {"input": 1000, "output": 200, "cache_read": 5000, "cache_creation": 300, "cents": 123.5},
                OPUS: {"input": 10, "output": 20, "cents": 50},
            },
            sessions=2,
            lines=(40, 5),
            commits=1,
            pull_requests=1,
            edits={"edit_tool": (7, 1), "write_tool": (2, 0)},
        ),
        usage_record(
            day, user("bob@example.com"), {SONNET: {"input": 100, "output": 50, "cents": 12.25}}, lines=(3, 0)
        ),
        usage_record(day, api_key("ci-bot"), {SONNET: {"input": 400, "output": 100, "cents": 30}}, sessions=4),
        usage_record(
            day,
            user("carol@example.com"),
            {HAIKU: {"input": 1, "output": 1, "cents": 0.5}},
            customer_type="subscription",
        ),
        # a second record of Alice's day (another terminal): added to the first
        usage_record(day, user("alice@example.com"), {SONNET: {"output": 1, "cents": 1.5}}, sessions=1),
    ]


def expected_day(subscription_cost: bool = True) -> dict:
    alice, bob, ci, carol = (
        labels("alice", "web"),
        labels("bob@example.com", "platform"),
        labels("api-key:ci-bot", "platform"),
        labels("carol@example.com", "platform"),
    )
    sonnet, opus, haiku = normalise_model(SONNET), normalise_model(OPUS), normalise_model(HAIKU)

    def with_(base, **extra):
        return tuple(sorted({**dict(base), **extra}.items()))

    out = {
        (VENDOR_COST, with_(alice, model=sonnet)): 1.25,
        (VENDOR_COST, with_(alice, model=opus)): 0.5,
        (VENDOR_COST, with_(bob, model=sonnet)): 0.1225,
        (VENDOR_COST, with_(ci, model=sonnet)): 0.30,
        (VENDOR_COST, with_(carol, model=haiku)): 0.005,
        (VENDOR_TOKENS, with_(alice, model=sonnet, type="input")): 1000,
        (VENDOR_TOKENS, with_(alice, model=sonnet, type="output")): 201,
        (VENDOR_TOKENS, with_(alice, model=sonnet, type="cache_read")): 5000,
        (VENDOR_TOKENS, with_(alice, model=sonnet, type="cache_creation")): 300,
        (VENDOR_TOKENS, with_(alice, model=opus, type="input")): 10,
        (VENDOR_TOKENS, with_(alice, model=opus, type="output")): 20,
        (VENDOR_TOKENS, with_(bob, model=sonnet, type="input")): 100,
        (VENDOR_TOKENS, with_(bob, model=sonnet, type="output")): 50,
        (VENDOR_TOKENS, with_(ci, model=sonnet, type="input")): 400,
        (VENDOR_TOKENS, with_(ci, model=sonnet, type="output")): 100,
        (VENDOR_TOKENS, with_(carol, model=haiku, type="input")): 1,
        (VENDOR_TOKENS, with_(carol, model=haiku, type="output")): 1,
        (VENDOR_SESSIONS, alice): 3,
        (VENDOR_SESSIONS, bob): 1,
        (VENDOR_SESSIONS, ci): 4,
        (VENDOR_SESSIONS, carol): 1,
        (VENDOR_LINES, with_(alice, type="added")): 40,
        (VENDOR_LINES, with_(alice, type="removed")): 5,
        (VENDOR_LINES, with_(bob, type="added")): 3,
        (VENDOR_COMMITS, alice): 1,
        (VENDOR_PULL_REQUESTS, alice): 1,
        (VENDOR_EDIT_DECISIONS, with_(alice, tool="edit_tool", decision="accept")): 7,
        (VENDOR_EDIT_DECISIONS, with_(alice, tool="edit_tool", decision="reject")): 1,
        (VENDOR_EDIT_DECISIONS, with_(alice, tool="write_tool", decision="accept")): 2,
    }
    if not subscription_cost:
        del out[(VENDOR_COST, with_(carol, model=haiku))]
    return out


def committed_on(store: VendorDays, day: date, source: str = "anthropic") -> dict:
    return {(n, lbl): v for (n, lbl, d), v in store.committed(source).items() if d == day}


def test_a_day_over_three_pages_gives_exact_figures_per_developer_model_and_api_key(standin, store, key_env):
    standin.usage[DAY] = a_day_of_five_records(DAY)
    poller = make_poller(exporter_config(standin), store)
    assert poller.poll()
    got = committed_on(store, DAY)
    assert got == pytest.approx(expected_day())
    pages = [r for r in standin.requests_to(USAGE_PATH) if r.query["starting_at"] == [DAY.isoformat()]]
    assert [r.query.get("page") for r in pages] == [None, [f"page_{DAY}-2"], [f"page_{DAY}-4"]]
    assert all(r.headers["x-api-key"] == KEY and r.headers["anthropic-version"] == "2023-06-01" for r in pages)
    asked = {r.query["starting_at"][0] for r in standin.requests_to(USAGE_PATH)}
    assert asked == {d.isoformat() for d in (D[3], D[2], D[1]) if available(d)}  # never today
    m = parse(metrics([poller], store))
    assert value(m, "agent_analytics_vendor_up", source="anthropic") == 1
    assert (
        value(m, "agent_analytics_vendor_newest_day_timestamp_seconds", source="anthropic")
        == datetime.combine(max(d for d in (D[2], D[1]) if available(d)), datetime.min.time(), UTC).timestamp()
    )
    assert value(m, "agent_analytics_vendor_days_pending", source="anthropic") == 1  # the others had no usage
    month = TODAY.replace(day=1) <= DAY
    assert value(m, "agent_analytics_vendor_month_to_date_usd", developer_id="alice") == (1.75 if month else None)


def test_429_waits_for_retry_after_then_succeeds(standin, store, key_env):
    standin.usage[DAY] = a_day_of_five_records(DAY)
    standin.fail(USAGE_PATH, Reply(429, {"type": "error"}, {"retry-after": "1"}))
    poller = make_poller(exporter_config(standin, max_backoff_seconds=5), store)
    assert poller.poll()
    first, second = standin.requests_to(USAGE_PATH)[:2]
    assert first.query == second.query
    assert 0.95 <= second.at - first.at < 2.0
    assert committed_on(store, DAY) == pytest.approx(expected_day())


def test_529_and_500_are_retried_and_retries_run_out_into_server_error(standin, store, key_env):
    standin.usage[DAY] = a_day_of_five_records(DAY)
    standin.fail(USAGE_PATH, Reply(529, {"type": "error", "error": {"type": "overloaded_error"}}), Reply(500))
    poller = make_poller(exporter_config(standin), store)
    assert poller.poll()
    assert [r.query["starting_at"] for r in standin.requests_to(USAGE_PATH)[:3]] == [[D[3].isoformat()]] * 3
    assert committed_on(store, DAY) == pytest.approx(expected_day())

    standin.fail(USAGE_PATH, *[Reply(500)] * 5)
    assert not poller.poll()
    m = parse(metrics([poller], store))
    assert value(m, "agent_analytics_vendor_errors_total", source="anthropic", reason="server_error") == 1
    assert value(m, "agent_analytics_vendor_up", source="anthropic") == 0
    assert committed_on(store, DAY) == pytest.approx(expected_day())


def test_401_sets_up_0_counts_the_reason_and_keeps_the_last_good_values(standin, store, key_env, caplog):
    caplog.set_level(logging.DEBUG)
    standin.usage[DAY] = a_day_of_five_records(DAY)
    poller = make_poller(exporter_config(standin), store)
    assert poller.poll()
    before = metrics([poller], store)
    success = value(parse(before), "agent_analytics_vendor_last_success_timestamp_seconds", source="anthropic")
    standin.admin_key = "sk-ant-admin01-rotated"
    assert not poller.poll()
    after = parse(metrics([poller], store))
    assert value(after, "agent_analytics_vendor_up", source="anthropic") == 0
    assert value(after, "agent_analytics_vendor_errors_total", source="anthropic", reason="unauthorized") == 1
    assert value(after, "agent_analytics_vendor_last_success_timestamp_seconds", source="anthropic") == success
    month = "agent_analytics_vendor_month_to_date_usd"
    assert after.get(month) == parse(before).get(month)
    assert committed_on(store, DAY) == pytest.approx(expected_day())
    # the key is in no log line, metric or error
    config = exporter_config(standin)
    source = SOURCES["anthropic"](config, IdentityMap(config.identities), KEY)
    errors = []
    try:
        source.fetch_days(DAY, DAY)
    except Exception as e:
        errors.append(str(e) + repr(e))
    finally:
        source.close()
    assert errors and "unauthorized" in errors[0]
    for text in [caplog.text, metrics([poller], store), *errors]:
        assert KEY not in text


def test_a_missing_key_is_counted_as_no_key_and_logged_once_by_name(standin, store, monkeypatch, caplog):
    monkeypatch.delenv(ENV, raising=False)
    caplog.set_level(logging.INFO)
    poller = make_poller(exporter_config(standin), store)
    assert not poller.poll()
    assert not poller.poll()
    m = parse(metrics([poller], store))
    assert value(m, "agent_analytics_vendor_up", source="anthropic") == 0
    assert value(m, "agent_analytics_vendor_errors_total", source="anthropic", reason="no_key") == 2
    assert [r.getMessage() for r in caplog.records if ENV in r.getMessage()] == [
        f"anthropic: environment variable {ENV} is empty or unset; not polling"
    ]
    assert standin.requests == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {"data": {"not": "a list"}, "has_more": False}),
        Reply(200, "<html>maintenance</html>"),
        Reply(200, {"data": [{"actor": {"type": "user_actor"}, "model_breakdown": []}], "has_more": False}),
        Reply(200, {"data": [{"actor": {"type": "api_actor", "api_key_name": "k"}, "model_breakdown": "x"}]}),
        Reply(
            200,
            {"data": [{"actor": {"type": "api_actor", "api_key_name": "k"}, "core_metrics": {"num_sessions": "2"}}]},
        ),
        Reply(200, {"data": [], "has_more": True}),
    ],
    ids=["data-not-a-list", "not-json", "actor-without-email", "breakdown-not-a-list", "count-as-text", "no-cursor"],
)
def test_a_payload_of_unexpected_shape_is_counted_and_the_next_poll_recovers(standin, store, key_env, reply):
    standin.usage[DAY] = a_day_of_five_records(DAY)
    standin.fail(USAGE_PATH, reply)
    poller = make_poller(exporter_config(standin), store)
    assert not poller.poll()
    m = parse(metrics([poller], store))
    assert value(m, "agent_analytics_vendor_errors_total", source="anthropic", reason="bad_payload") == 1
    assert value(m, "agent_analytics_vendor_up", source="anthropic") == 0
    assert poller.poll()
    assert committed_on(store, DAY) == pytest.approx(expected_day())


def test_subscription_cost_comes_from_enterprise_analytics_only_and_its_revisions_adjust(standin, store, key_env):
    standin.usage[DAY] = a_day_of_five_records(DAY)
    standin.cost_rows = [
        cost_row(D[k], "carol@example.com", HAIKU, f"{k * 10}.25", requests=k) for k in range(2, 40)
    ] + [cost_row(D[k], "alice@example.com", SONNET, "7.5") for k in (5, 35)]
    config = exporter_config(standin, enterprise=True)
    admin, enterprise = make_poller(config, store), make_poller(config, store, "anthropic_enterprise")
    assert admin.poll() and enterprise.poll()
    assert committed_on(store, DAY) == pytest.approx(expected_day(subscription_cost=False))
    m = parse(metrics([admin, enterprise], store))  # one family per name, a sample per source
    assert {lbl["source"]: v for lbl, v in m["agent_analytics_vendor_up"]} == {
        "anthropic": 1,
        "anthropic_enterprise": 1,
    }
    carol = labels("carol@example.com", "platform", source="anthropic_enterprise", model=normalise_model(HAIKU))
    alice = labels("alice", "web", source="anthropic_enterprise", model=normalise_model(SONNET))
    first = {
        d: v for (n, lbl, d), v in store.committed("anthropic_enterprise").items() if n == VENDOR_COST and lbl == carol
    }
    assert first == pytest.approx({D[k]: (k * 10 + 0.25) / 100 for k in range(2, 40)})
    assert committed_on(store, D[5], "anthropic_enterprise")[(VENDOR_COST, alice)] == 0.075
    assert committed_on(store, D[35], "anthropic_enterprise")[(VENDOR_REQUESTS, alice)] == 1
    ranges = [(r.query["starting_at"][0], r.query["ending_at"][0]) for r in standin.requests_to(COST_PATH)]
    assert {r[0][:10] for r in ranges} == {D[40].isoformat(), D[9].isoformat()}  # 31 days at most per call
    assert all(r.headers["x-api-key"] == ANALYTICS_KEY for r in standin.requests_to(COST_PATH))

    # Anthropic revises a day 20 days back: within the 31-day refetch window
    standin.cost_rows[18] = cost_row(D[20], "carol@example.com", HAIKU, "999.5", requests=20)
    assert enterprise.poll()
    assert committed_on(store, D[20], "anthropic_enterprise")[(VENDOR_COST, carol)] == pytest.approx(9.995)


def day_total(prom: Prometheus, day: date, series: str = VENDOR_COST, by: str = "") -> dict | float:
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp()
    result = prom.query(f"sum{f' by ({by})' if by else ''} (sum_over_time({series}[1d]))", at=end - 0.001)
    if by:
        return {tuple(r["metric"].get(k, "") for k in by.split(", ")): float(r["value"][1]) for r in result}
    return float(result[0]["value"][1]) if result else 0.0


def test_a_revised_past_day_adjusts_a_late_day_lands_on_its_own_day_and_a_restart_adds_nothing(
    standin, tmp_path, key_env
):
    with Prometheus(remote_write=True) as prom:
        standin.usage[D[2]] = [usage_record(D[2], user("alice@example.com"), {SONNET: {"cents": 100}})]
        standin.usage[D[3]] = []  # not reported yet
        config = exporter_config(standin)
        store = VendorDays(tmp_path / "data")
        assert make_poller(config, store, prometheus_url=prom.url).poll()
        assert (day_total(prom, D[2]), day_total(prom, D[3])) == (1.0, 0.0)

        standin.usage[D[2]] = [usage_record(D[2], user("alice@example.com"), {SONNET: {"cents": 140}})]
        standin.usage[D[3]] = [usage_record(D[3], user("bob@example.com"), {OPUS: {"cents": 250}})]
        assert make_poller(config, store, prometheus_url=prom.url).poll()
        assert (day_total(prom, D[2]), day_total(prom, D[3]), day_total(prom, D[4])) == (1.4, 2.5, 0.0)
        assert day_total(prom, D[2], by="developer_id, model") == {("alice", normalise_model(SONNET)): 1.4}
        store.close()

        again = VendorDays(tmp_path / "data")
        assert make_poller(config, again, prometheus_url=prom.url).poll()
        assert again.staged_count() == 0
        week = prom.query(f"sum(sum_over_time({VENDOR_COST}[7d]))")
        assert float(week[0]["value"][1]) == pytest.approx(3.9)
        again.close()


def test_the_first_run_starts_after_the_newest_day_prometheus_already_holds(standin, tmp_path, key_env):
    with Prometheus(remote_write=True) as prom:
        backfilled = labels("alice", "web", model=normalise_model(SONNET))
        remote_write.push(
            prom.url, [({"__name__": VENDOR_COST, **dict(backfilled)}, [(day_sample_time(D[4], 0) * 1000, 3.0)])]
        )
        for k in (2, 3, 4, 5):
            standin.usage[D[k]] = [usage_record(D[k], user("alice@example.com"), {SONNET: {"cents": 100 * k}})]
        store = VendorDays(tmp_path / "data")
        poller = make_poller(exporter_config(standin, history_days=10), store, prometheus_url=prom.url)
        assert poller.poll()
        assert store.first_live_day("anthropic") == D[3]
        asked = {r.query["starting_at"][0] for r in standin.requests_to(USAGE_PATH)}
        assert asked == {d.isoformat() for d in (D[3], D[2], D[1]) if available(d)}
        assert [day_total(prom, D[k]) for k in (5, 4, 3, 2)] == [0.0, 3.0, 3.0, 2.0]
        store.close()


# --- end to end: the exporter, a real Prometheus scraping it, and the windows ---------------------

PEOPLE = ("alice@example.com", "bob@example.com", "dan@example.com")


def serve_history(standin: AnthropicStandIn, days: range, seed: int = 9) -> dict[tuple[str, str, date], float]:
    """Random usage on `days` (days ago); returns USD per (developer_id, model, day)."""
    rng = random.Random(seed)
    truth: dict[tuple[str, str, date], float] = {}
    ids = IdentityMap(parse_config({"identities": IDENTITIES}).identities)
    for k in days:
        records = []
        for who in PEOPLE + ("api:deploy",):
            models = {m: {"input": rng.randint(1, 9999), "cents": rng.randint(0, 5000) / 4} for m in (SONNET, OPUS)}
            if rng.random() < 0.2:
                continue  # a day off
            actor = api_key("deploy") if who.startswith("api:") else user(who)
            developer = "api-key:deploy" if who.startswith("api:") else ids.resolve(who)[0]
            records.append(usage_record(D[k], actor, models))
            for m, use in models.items():
                if use["cents"]:
                    truth[(developer, normalise_model(m), D[k])] = use["cents"] / 100
        standin.usage[D[k]] = records
    return truth


def window(truth, first: date, last: date) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for (dev, model, day), usd in truth.items():
        if first <= day <= last:
            out[(dev, model)] = out.get((dev, model), 0.0) + usd
    return out


def by_developer_model(prom: Prometheus, range_: str, at: float) -> dict[tuple[str, str], float]:
    result = prom.query(f"sum by (developer_id, model) (sum_over_time({VENDOR_COST}[{range_}]))", at=at)
    return {
        (r["metric"]["developer_id"], r["metric"]["model"]): float(r["value"][1])
        for r in result
        if float(r["value"][1])
    }


def midnight(day: date) -> float:
    return datetime.combine(day, datetime.min.time(), UTC).timestamp()


def test_prometheus_windows_over_the_exporter_equal_the_stand_ins_ground_truth(standin, tmp_path, key_env):
    truth = serve_history(standin, range(1, 45))
    truth = {key: usd for key, usd in truth.items() if available(key[2])}
    port = free_port()
    with Prometheus(targets={"exporter": [f"127.0.0.1:{port}"]}, remote_write=True) as prom:
        config = parse_config(
            {
                "identities": IDENTITIES,
                "prometheus_url": prom.url,
                "anthropic": {
                    "admin_key_env": ENV,
                    "api_url": standin.url,
                    "poll_interval_seconds": 0.5,
                    "history_days": 45,
                    "max_backoff_seconds": 0.2,
                },
            }
        )
        with ExporterService(config, port=port, data_dir=tmp_path / "exporter", scan=False) as svc:
            base = f"http://127.0.0.1:{svc.port}"
            wait_until(
                lambda: (
                    value(scrape(base), "agent_analytics_vendor_days_pending", source="anthropic") == 0
                    and value(scrape(base), "agent_analytics_vendor_newest_day_timestamp_seconds", source="anthropic")
                    >= midnight(D[2])
                ),
                timeout=60,
                what="every day fetched and written",
            )
            # every day on its own day
            for k in range(1, 47):
                expected = {(dev, model): usd for (dev, model, day), usd in truth.items() if day == D[k]}
                assert by_developer_model(prom, "1d", midnight(D[k - 1]) - 0.001) == pytest.approx(expected), D[k]
            # 7 days ending mid-day 3 days ago: the 7 days before it, not the days after
            at = midnight(D[3]) + 12 * 3600
            assert by_developer_model(prom, "7d", at) == pytest.approx(window(truth, D[10], D[4]))
            # 30 days ending now
            now = time.time()
            assert by_developer_model(prom, "30d", now) == pytest.approx(window(truth, D[30], D[1]))
            # month to date (UTC) at noon of a day in the middle of a month: from its 1st on
            k = next(k for k in range(3, 40) if D[k].day >= 5)
            at = midnight(D[k]) + 12 * 3600
            mtd = f"{int(at - midnight(D[k].replace(day=1)))}s"
            assert by_developer_model(prom, mtd, at) == pytest.approx(window(truth, D[k].replace(day=1), D[k + 1]))
            # and ending now
            month_start = TODAY.replace(day=1)
            mtd = f"{int(now - midnight(month_start))}s"
            expected_mtd = window(truth, month_start, D[1])
            assert by_developer_model(prom, mtd, now) == pytest.approx(expected_mtd)
            # and the scraped month-to-date gauge says the same per developer
            per_dev: dict[str, float] = {}
            for (dev, _), usd in expected_mtd.items():
                per_dev[dev] = per_dev.get(dev, 0.0) + usd

            def scraped_mtd() -> dict[str, float]:
                result = prom.query("sum by (developer_id) (agent_analytics_vendor_month_to_date_usd)")
                return {r["metric"]["developer_id"]: float(r["value"][1]) for r in result if float(r["value"][1])}

            prom.wait_targets_up()
            prom.scrape_settle()
            wait_until(lambda: scraped_mtd() == pytest.approx(per_dev), timeout=20, what="scraped month to date")
            assert prom.query('agent_analytics_vendor_up{source="anthropic"}')[0]["value"][1] == "1"


# --- configuration -------------------------------------------------------------------------------


def test_vendor_config_defaults_and_errors_name_the_key():
    c = parse_config({"anthropic": {}, "anthropic_enterprise": {}, "cursor": {}, "openai": {"projects": "proj_abc"}})
    assert {name: (v.key_env, v.api_url, v.refetch_days) for name, v in c.vendor_configs().items()} == {
        "anthropic": ("ANTHROPIC_ADMIN_KEY", "https://api.anthropic.com", 3),
        "anthropic_enterprise": ("ANTHROPIC_ANALYTICS_KEY", "https://api.anthropic.com", 31),
        "cursor": ("CURSOR_ADMIN_KEY", "https://api.cursor.com", 3),
        "openai": ("OPENAI_ADMIN_KEY", "https://api.openai.com", 3),
    }
    assert (c.openai.projects, c.openai.agent, c.cursor.requests_per_minute) == (["proj_abc"], "codex", 20.0)
    assert (c.spend_source_of("claude-code"), parse_config({}).vendor_configs()) == ("auto", {})
    assert parse_config({"spend_source": {"codex": "vendor_api"}}).spend_source_of("codex") == "vendor_api"
    for raw, message in [
        ({"spend_source": {"claude-code": "both"}}, "spend_source.claude-code: expected 'auto', 'telemetry' or"),
        ({"spend_source": {"claud-code": "auto"}}, "spend_source.claud-code: unknown agent"),
        ({"anthropic": {"admin_key_env": KEY}}, "anthropic.admin_key_env: give the NAME of the environment variable"),
        ({"cursor": {"token_env": "X"}}, "cursor.token_env: unknown key; expected one of api_key_env, api_url,"),
        ({"openai": {"api_url": "api.openai.com"}}, "openai.api_url: expected an http(s) URL"),
    ]:
        with pytest.raises(ConfigError) as e:
            parse_config(raw)
        assert message in str(e.value)
        assert KEY not in str(e.value)


def test_hashed_identities_give_the_same_pseudonym_as_the_commit_and_telemetry_side(standin, store, key_env):
    standin.usage[DAY] = [usage_record(DAY, user("Erin@Example.com"), {SONNET: {"cents": 40}})]
    config = parse_config(
        {
            "identities": {"hash_emails": True, "hash_salt": "pepper", "default_team_id": "core"},
            "anthropic": {"admin_key_env": ENV, "api_url": standin.url, "history_days": 3},
        }
    )
    assert make_poller(config, store).poll()
    pseudonym = IdentityMap(config.identities).hash("erin@example.com")
    assert len(pseudonym) == 16 and pseudonym != "erin@example.com"
    assert committed_on(store, DAY) == {
        (VENDOR_COST, labels(pseudonym, "core", model=normalise_model(SONNET))): 0.4,
        (VENDOR_SESSIONS, labels(pseudonym, "core")): 1,
    }


def test_a_first_run_that_cannot_ask_prometheus_fetches_nothing_and_tries_again(standin, store, key_env):
    standin.usage[DAY] = a_day_of_five_records(DAY)
    config = exporter_config(standin)
    factory = functools.partial(SOURCES["anthropic"], config, IdentityMap(config.identities))
    nowhere = f"http://127.0.0.1:{free_port()}"
    poller = VendorPoller("anthropic", config.anthropic, factory, store, nowhere, prometheus_wait_seconds=0.3)
    assert not poller.poll()
    m = parse(metrics([poller], store))
    assert value(m, "agent_analytics_vendor_errors_total", source="anthropic", reason="prometheus") == 1
    assert (store.first_live_day("anthropic"), standin.requests_to(USAGE_PATH)) == (None, [])
    with Prometheus(remote_write=True) as prom:
        poller.prometheus_url = prom.url
        assert poller.poll()
        assert day_total(prom, DAY) == pytest.approx(sum(v for (n, _), v in expected_day().items() if n == VENDOR_COST))


def test_a_day_the_api_failed_on_is_fetched_later_even_outside_the_refetch_window(standin, tmp_path, key_env):
    with Prometheus(remote_write=True) as prom:
        for k in (6, 5):
            standin.usage[D[k]] = [usage_record(D[k], user("bob@example.com"), {OPUS: {"cents": 100 * (7 - k)}})]
        store = VendorDays(tmp_path / "data")
        config = exporter_config(standin, history_days=6, refetch_days=2, max_retries=1)
        poller = make_poller(config, store, prometheus_url=prom.url)
        standin.fail(USAGE_PATH, Reply(500), Reply(500))  # D[6], both tries
        assert not poller.poll()
        assert store.days_held("anthropic") == set()
        # D[6] answers (as the stand-in would), then D[5] fails both tries
        standin.fail(USAGE_PATH, Reply(200, {"data": standin.usage[D[6]], "has_more": False}), Reply(500), Reply(500))
        assert not poller.poll()
        assert store.days_held("anthropic") == {D[6]}  # committed as it arrived
        with standin.lock:
            standin.requests.clear()
        assert poller.poll()
        asked = [r.query["starting_at"][0] for r in standin.requests_to(USAGE_PATH)]
        assert asked == [d.isoformat() for d in (D[5], D[4], D[3], D[2], D[1]) if available(d)]
        assert (day_total(prom, D[6]), day_total(prom, D[5]), day_total(prom, D[4])) == (1.0, 2.0, 0.0)
        store.close()


def test_exporter_once_polls_the_vendor_api_and_says_whether_it_worked(standin, tmp_path):
    standin.usage[DAY] = a_day_of_five_records(DAY)
    config = tmp_path / "exporter.yaml"
    config.write_text(
        json.dumps(
            {"identities": IDENTITIES, "anthropic": {"admin_key_env": ENV, "api_url": standin.url, "history_days": 3}}
        )
    )
    cli = [str(Path(sys.executable).with_name("agent-analytics")), "exporter", "--config", str(config)]
    args = [*cli, "--data-dir", str(tmp_path / "data"), "--once", "--json"]

    def once(key: str) -> subprocess.CompletedProcess:
        env = {**os.environ, ENV: key}
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)

    good = once(KEY)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["vendors_ok"] is True
    store = VendorDays(tmp_path / "data")
    assert committed_on(store, DAY) == pytest.approx(expected_day())
    store.close()
    wrong = "sk-ant-admin01-not-the-right-one"
    bad = once(wrong)
    assert bad.returncode == 1 and json.loads(bad.stdout)["vendors_ok"] is False
    assert "unauthorized" in bad.stderr
    assert wrong not in bad.stderr + bad.stdout and KEY not in good.stderr + good.stdout


def test_enterprise_days_count_as_complete_only_up_to_data_refreshed_at(standin, store, key_env):
    standin.cost_rows = [cost_row(D[k], "alice@example.com", SONNET, "120.5") for k in range(1, 6)]
    standin.data_refreshed_at = datetime.fromtimestamp(midnight(D[2]) + 5 * 3600, UTC)  # D[3] is the newest whole day
    poller = make_poller(exporter_config(standin, enterprise=True), store, "anthropic_enterprise")
    assert poller.poll()
    assert store.days_held("anthropic_enterprise") == set(D[3:41])
    alice = labels("alice", "web", source="anthropic_enterprise", model=normalise_model(SONNET))
    assert {d for (n, lbl, d) in store.committed("anthropic_enterprise") if lbl == alice} == {D[3], D[4], D[5]}
    standin.data_refreshed_at = None  # now
    assert poller.poll()
    costs = {d: v for (n, lbl, d), v in store.committed("anthropic_enterprise").items() if n == VENDOR_COST}
    assert costs == pytest.approx({D[k]: 1.205 for k in range(1, 6)})
