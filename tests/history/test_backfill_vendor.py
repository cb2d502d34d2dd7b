"""`backfill vendor` loads what the vendors' APIs still hold (stand-ins over real sockets) into a
real Prometheus: every day once, before the days the exporter's live series hold, safe to re-run."""

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from agent_analytics.exporter.config import load_config
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.vendors.cursor import CursorSource
from agent_analytics.exporter.vendors.days import VendorDays, newest_day_in_prometheus
from agent_analytics.exporter.vendors.figures import day_sample_time
from agent_analytics.history.tsdb_blocks import HEAD_AGE_SECONDS
from agent_analytics.vocabulary.series import (
    VENDOR_BILLED,
    VENDOR_COST,
    VENDOR_REQUESTS,
    VENDOR_SESSIONS,
    VENDOR_TOKENS,
)
from tests.support.prometheus import Prometheus
from tests.support.vendor_standins.anthropic import AnthropicStandIn, api_key, usage_record, user
from tests.support.vendor_standins.cursor import FakeCursor
from tests.support.vendor_standins.openai import FakeOpenAI

pytestmark = pytest.mark.prometheus

KEYS = {"AA_TEST_CURSOR_KEY": "key_cursor_backfill_1a2b3c4d", "AA_TEST_OPENAI_KEY": "sk-admin-backfill-9e8d7c6b"}
KEYS["AA_TEST_ANTHROPIC_KEY"] = "sk-ant-admin01-backfill-5f4e3d"
NOW = time.time()
TODAY = datetime.fromtimestamp(NOW, UTC).date()
YESTERDAY = TODAY - timedelta(days=1)
DAYS = 12  # --days
FIRST = TODAY - timedelta(days=DAYS)
LIVE_FROM = TODAY - timedelta(days=4)  # the exporter holds Cursor from here on
SERVED_FROM = TODAY - timedelta(days=15)  # the APIs hold more than --days asks for
# the newest day a block may hold: its last second at least HEAD_AGE_SECONDS before now
LAST = YESTERDAY if day_sample_time(YESTERDAY) <= NOW - HEAD_AGE_SECONDS else YESTERDAY - timedelta(days=1)
PEOPLE = {"ann@acme.dev": "ann", "Bob@acme.dev": "bob@acme.dev", "cy@acme.dev": "cy"}
IDENTITIES = {"default_team_id": "platform", "ann@acme.dev": {"developer_id": "ann", "team_id": "web"}}
IDENTITIES["cy@acme.dev"] = {"developer_id": "cy", "team_id": "data"}
OPENAI_USERS = [{"id": "user-ann", "email": "ann@acme.dev", "name": "Ann", "role": "owner"}]
OPENAI_USERS.append({"id": "user-cy", "email": "cy@acme.dev", "name": "Cy", "role": "reader"})
CODEX = "proj_codex"
TOKEN_TYPES = {"inputTokens": "input", "outputTokens": "output", "cacheReadTokens": "cache_read"}
TOKEN_TYPES["cacheWriteTokens"] = "cache_creation"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def ms(day: date, hour: int, minute: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).timestamp() * 1000)


def cursor_events() -> list[dict]:
    """A few events a day, at the edges of the day too; one call without tokenUsage, counts as strings."""
    out = []
    for n, day in enumerate(days(SERVED_FROM, YESTERDAY)):
        for i, (email, model) in enumerate(
            [("ann@acme.dev", "claude-sonnet-4-5-20250929"), ("Bob@acme.dev", "gpt-5"), ("ann@acme.dev", "gpt-5")]
        ):
            if (n + i) % 4 == 3:
                continue
            cents = round(3.5 + n * 1.25 + i * 7.1, 2)
            at = ms(day, 0, 0) if i == 0 else ms(day, 23, 59) if i == 1 else ms(day, 12, 30)
            tokens = {
                "inputTokens": str(1000 + n * 10 + i),
                "outputTokens": 200 + n,
                "cacheReadTokens": 5000 * (i + 1),
                "cacheWriteTokens": str(40 * n),
            }
            event = {"timestamp": str(at), "userEmail": email, "model": model, "kind": "Usage-based",
                     "maxMode": False, "isTokenBasedCall": i != 2, "isChargeable": True, "chargedCents": cents,
                     "cursorTokenFee": 0}  # fmt: skip
            if i != 2:
                event["tokenUsage"] = {**tokens, "totalCents": cents}
            out.append(event)
    return out


def anthropic_usage() -> dict[date, list[dict]]:
    """Claude Code Analytics records: two people and, every third day, an API key."""
    out = {}
    for n, day in enumerate(days(SERVED_FROM, YESTERDAY)):
        sonnet = {"input": 900 + n, "output": 4_000 + 10 * n, "cache_read": 50_000, "cache_creation": 2_000 + n}
        records = [
            usage_record(day, user("ann@acme.dev"), {"claude-sonnet-4-5-20250929": {**sonnet, "cents": 120 + n}},
                         sessions=2 + n % 3),
            usage_record(day, user("cy@acme.dev"), {"claude-opus-4-5-20251101": {**sonnet, "cents": 455.5 + n},
                                                    "claude-haiku-4-5-20251001": {"input": 10, "cents": 3}}),
        ]  # fmt: skip
        if n % 3 == 0:
            records.append(
                usage_record(day, api_key("ci-bot"), {"claude-haiku-4-5-20251001": {"output": 77, "cents": 9}})
            )
        out[day] = records
    return out


def anthropic_truth(usage: dict[date, list[dict]]) -> dict:
    out: dict = defaultdict(float)
    for day, records in usage.items():
        for r in records:
            actor = r["actor"]
            dev = PEOPLE[actor["email_address"]] if "email_address" in actor else f"api-key:{actor['api_key_name']}"
            out[(day, VENDOR_SESSIONS, dev, None)] += r["core_metrics"]["num_sessions"]
            for m in r["model_breakdown"]:
                out[(day, VENDOR_COST, dev, None)] += m["estimated_cost"]["amount"] / 100
                for kind, count in m["tokens"].items():
                    out[(day, VENDOR_TOKENS, dev, kind)] += count
    return dict(out)


def openai_usage() -> list[dict]:
    out = []
    for n, day in enumerate(days(SERVED_FROM, YESTERDAY)):
        for user_id, given in (("user-ann", 90_000 + 1_000 * n), ("user-cy", 20_000 + 500 * n)):
            out.append({"day": day, "user_id": user_id, "model": "gpt-5-codex", "project_id": CODEX,
                        "api_key_id": "key_a", "input_tokens": given, "input_cached_tokens": given // 3,
                        "output_tokens": 3_000 + n, "num_model_requests": 10 + n})  # fmt: skip
        out.append({"day": day, "user_id": "user-ann", "model": "gpt-5-codex", "project_id": "proj_other",
                    "api_key_id": "key_b", "input_tokens": 999_999, "input_cached_tokens": 0,
                    "output_tokens": 9_999, "num_model_requests": 99})  # fmt: skip
    return out


def openai_costs() -> list[dict]:
    return [{"day": d, "project_id": CODEX, "line_item": "gpt-5-codex, input", "value": 1.5 + n / 4}
            for n, d in enumerate(days(SERVED_FROM, YESTERDAY))]  # fmt: skip


def cursor_truth(events) -> dict:
    """(day, series, developer_id, type) -> what the served events add up to."""
    out: dict = defaultdict(float)
    for e in events:
        day = datetime.fromtimestamp(int(e["timestamp"]) / 1000, UTC).date()
        dev = PEOPLE[e["userEmail"]]
        out[(day, VENDOR_COST, dev, None)] += e["chargedCents"] / 100
        out[(day, VENDOR_REQUESTS, dev, None)] += 1
        for field, kind in TOKEN_TYPES.items():
            if "tokenUsage" in e:
                out[(day, VENDOR_TOKENS, dev, kind)] += float(e["tokenUsage"][field])
    return dict(out)


def openai_truth(usage, costs) -> dict:
    out: dict = defaultdict(float)
    for u in usage:
        if u["project_id"] == CODEX:
            dev = {"user-ann": "ann", "user-cy": "cy"}[u["user_id"]]
            out[(u["day"], VENDOR_REQUESTS, dev, None)] += u["num_model_requests"]
            out[(u["day"], VENDOR_TOKENS, dev, "cache_read")] += u["input_cached_tokens"]
            out[(u["day"], VENDOR_TOKENS, dev, "input")] += u["input_tokens"] - u["input_cached_tokens"]
            out[(u["day"], VENDOR_TOKENS, dev, "output")] += u["output_tokens"]
    for c in costs:
        out[(c["day"], VENDOR_BILLED, CODEX, None)] += c["value"]
    return dict(out)


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env if env is not None else KEYS)},
    )


def write_config(path, anthropic_url: str, cursor_url: str, openai_url: str) -> None:
    quick = {"max_retries": 2, "max_backoff_seconds": 0.05, "timeout_seconds": 5}
    path.write_text(
        yaml.safe_dump(
            {
                "identities": IDENTITIES,
                "anthropic": {"admin_key_env": "AA_TEST_ANTHROPIC_KEY", "api_url": anthropic_url, **quick},
                "anthropic_enterprise": {"analytics_key_env": "AA_TEST_UNSET_ANALYTICS_KEY", "api_url": anthropic_url},
                "cursor": {
                    "api_key_env": "AA_TEST_CURSOR_KEY",
                    "api_url": cursor_url,
                    "requests_per_minute": 6000,
                    **quick,
                },
                "openai": {"admin_key_env": "AA_TEST_OPENAI_KEY", "api_url": openai_url, "projects": [CODEX], **quick},
            }  # fmt: skip
        )
    )


def in_prometheus(prom: Prometheus, at_day: date, window: str = "86399s") -> dict:
    """(source, day, series, developer or project, type) -> sum_over_time of the window ending with the day."""
    out = {}
    for name, by in (
        (VENDOR_COST, "developer_id"),
        (VENDOR_REQUESTS, "developer_id"),
        (VENDOR_TOKENS, "developer_id"),
        (VENDOR_SESSIONS, "developer_id"),
        (VENDOR_BILLED, "project_id"),
    ):
        query = f"sum by (source, {by}, type) (sum_over_time({name}[{window}]))"
        for row in prom.query(query, day_sample_time(at_day)):
            m = row["metric"]
            out[(m["source"], at_day, name, m[by], m.get("type"))] = float(row["value"][1])
    return out


@pytest.fixture(scope="module")
def standins():
    with (
        AnthropicStandIn(KEYS["AA_TEST_ANTHROPIC_KEY"], max_page=1) as anthropic,
        FakeCursor(KEYS["AA_TEST_CURSOR_KEY"], max_page_size=7) as cursor,
        FakeOpenAI(KEYS["AA_TEST_OPENAI_KEY"], max_buckets_per_page=5) as openai,
    ):
        anthropic.usage = anthropic_usage()
        cursor.members = [{"id": i, "email": e, "name": e, "role": "member", "isRemoved": False}
                          for i, e in enumerate(PEOPLE)]  # fmt: skip
        cursor.events = cursor_events()
        openai.users = OPENAI_USERS
        openai.usage = openai_usage()
        openai.costs = openai_costs()
        yield anthropic, cursor, openai


def test_history_before_the_live_days_exactly_once_and_a_rerun_adds_nothing(standins, tmp_path):
    anthropic, cursor, openai = standins
    config = tmp_path / "exporter.yaml"
    write_config(config, anthropic.url, cursor.url, openai.url)
    tsdb = tmp_path / "tsdb"
    prom = Prometheus(data_dir=tsdb, remote_write=True).start()
    try:
        # The exporter has held Cursor since LIVE_FROM: its day store wrote those days by remote write.
        cfg = load_config(config)
        store = VendorDays(tmp_path / "exporter")
        store.start_live("cursor", LIVE_FROM)
        live = CursorSource(cfg.cursor, IdentityMap(cfg.identities), KEYS["AA_TEST_CURSOR_KEY"])
        for day, figures in live.fetch_days(LIVE_FROM, YESTERDAY).items():
            store.record("cursor", day, figures)
        live.close()
        assert store.push(prom.url) > 0

        args = ["backfill", "vendor", "--config", str(config), "--days", str(DAYS), "--prometheus-data", str(tsdb)]
        args += ["--prometheus-url", prom.url, "--json"]
        first = cli(*args)
        again = cli(*args)  # before Prometheus has loaded the first run's blocks: the same samples again
        for run in (first, again):
            assert run.returncode == 1
            lines = run.stderr.splitlines()
            assert [line for line in lines if line.startswith("anthropic")] == [
                "anthropic_enterprise: no key: set AA_TEST_UNSET_ANALYTICS_KEY (the config's key variable)"
            ]
            assert lines[-1] == "error: 1 of 4 vendor sources not loaded: anthropic_enterprise"
            assert not any(key in run.stdout + run.stderr for key in KEYS.values())
        report = json.loads(first.stdout)["sources"]
        failed = {"status": "failed", "reason": "no_key", "days": 0, "series": 0, "samples": 0}
        assert report["anthropic_enterprise"] == failed
        # no block reaches the days the exporter holds live, whichever source (Prometheus would drop
        # remote-written samples older than a block's end at its next start)
        before_live = min(LAST, LIVE_FROM - timedelta(days=1))
        assert (report["anthropic"]["first_day"], report["anthropic"]["last_day"]) == (str(FIRST), str(before_live))
        assert (report["cursor"]["first_day"], report["cursor"]["last_day"]) == (
            str(FIRST),
            str(LIVE_FROM - timedelta(days=1)),
        )
        assert report["cursor"]["live_from"] == str(LIVE_FROM) and report["cursor"]["days"] == DAYS - 4
        assert (report["openai"]["first_day"], report["openai"]["last_day"]) == (str(FIRST), str(before_live))
        assert report["openai"]["live_from"] is None
        assert json.loads(again.stdout)["samples"] in (0, json.loads(first.stdout)["samples"])
        written = b"".join(f.read_bytes() for f in tsdb.rglob("*") if f.is_file())
        assert b"ann" in written and not any(key.encode() in written for key in KEYS.values())
        # Cursor was asked in spans the rate limit allows, OpenAI only for the configured days
        assert all(
            c.json()["endDate"] - c.json()["startDate"] < 30 * 86_400_000
            for c in cursor.requests_to("/teams/filtered-usage-events")
        )

        prom.stop()  # a restart loads the new blocks at once (a running Prometheus takes up to a minute)
        prom.start()
        truth = cursor_truth(cursor.events)
        expected = {("cursor", *k): v for k, v in truth.items() if k[0] >= FIRST}
        served = openai_truth(openai.usage, openai.costs)
        expected |= {("openai", *k): v for k, v in served.items() if FIRST <= k[0] <= before_live}
        claude = anthropic_truth(anthropic.usage)
        expected |= {("anthropic", *k): v for k, v in claude.items() if FIRST <= k[0] <= before_live}
        got = {}
        for day in days(SERVED_FROM, YESTERDAY):
            got |= in_prometheus(prom, day)
        # OpenAI's per-developer cost is its tokens priced from the table: the source's tests check it
        got = {k: v for k, v in got.items() if (k[0], k[2]) != ("openai", VENDOR_COST)}
        assert got == pytest.approx({k: v for k, v in expected.items() if v})
        # a week's window holds each of its days once, live and backfilled alike
        week = in_prometheus(prom, YESTERDAY, f"{7 * 86400 - 1}s")
        since = YESTERDAY - timedelta(days=7)
        ann = sum(v for (d, name, dev, _), v in truth.items() if name == VENDOR_COST and d > since and dev == "ann")
        assert week[("cursor", YESTERDAY, VENDOR_COST, "ann", None)] == pytest.approx(ann)

        # With the blocks loaded, a re-run has nothing left to add.
        third = json.loads(cli(*args).stdout)
        assert third["samples"] == 0
        assert {name: r.get("live_from") for name, r in third["sources"].items()} == {
            "anthropic": str(FIRST),
            "anthropic_enterprise": None,
            "cursor": str(FIRST),
            "openai": str(FIRST),
        }
    finally:
        prom.stop()


def test_a_refused_key_is_one_line_and_the_other_sources_still_load(standins, tmp_path):
    anthropic, cursor, openai = standins
    config = tmp_path / "exporter.yaml"
    write_config(config, anthropic.url, cursor.url, openai.url)
    tsdb = tmp_path / "tsdb"
    wrong = {"AA_TEST_OPENAI_KEY": "sk-admin-wrong-0000", "AA_TEST_ANTHROPIC_KEY": "sk-ant-admin01-wrong-1111"}
    with Prometheus(data_dir=tmp_path / "empty") as prom:
        run = cli("backfill", "vendor", "--config", str(config), "--days", "3", "--prometheus-data", str(tsdb),
                  "--prometheus-url", prom.url, env={**KEYS, **wrong})  # fmt: skip
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert [line for line in lines if line.startswith("openai:")] == [
        "openai: users: unauthorized: HTTP 401 (check the key and its role)"
    ]
    assert [line for line in lines if line.startswith("anthropic:")] == [
        "anthropic: usage_report/claude_code: unauthorized: HTTP 401 (check the key and its role)"
    ]
    assert lines[-1] == "error: 3 of 4 vendor sources not loaded: anthropic, anthropic_enterprise, openai"
    assert f"cursor: {(LAST - TODAY).days + 4} days ({TODAY - timedelta(days=3)} to {LAST})" in run.stdout
    assert not any(k in run.stdout + run.stderr for k in (*KEYS.values(), *wrong.values()))


def test_the_exporter_starts_each_source_after_the_newest_backfilled_day(standins, tmp_path):
    """The other half of "never the same day twice": the exporter's first run asks Prometheus for
    the newest day it holds of a source, here the backfill's, and starts the day after."""
    anthropic, cursor, openai = standins
    config = tmp_path / "exporter.yaml"
    write_config(config, anthropic.url, cursor.url, openai.url)
    tsdb = tmp_path / "tsdb"
    args = ["backfill", "vendor", "--config", str(config), "--days", "3", "--prometheus-data", str(tsdb)]
    with Prometheus(data_dir=tmp_path / "empty") as empty:
        assert cli(*args, "--prometheus-url", empty.url).returncode == 1  # anthropic_enterprise has no key
    assert cli(*args, "--prometheus-url", empty.url).stdout == ""  # asked for explicitly, it must answer
    with Prometheus(data_dir=tsdb) as prom:
        for source in ("anthropic", "cursor", "openai"):
            assert newest_day_in_prometheus(prom.url, source) == LAST, source
        assert newest_day_in_prometheus(prom.url, "anthropic_enterprise") is None
