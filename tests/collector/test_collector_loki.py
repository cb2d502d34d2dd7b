"""Events go to Loki's OTLP endpoint without prompt and response text; while Loki is down they wait
in a bounded on-disk spool and arrive exactly once when it is back, also across a restart."""

import time
from collections import Counter

import pytest

from tests.collector.payloads import load_payloads
from tests.support import loopback
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.scrape import scrape, total

CONTENT = {"prompt", "response"}


@pytest.fixture
def log_bodies(claude_fixtures) -> list[tuple[bytes, int]]:
    """(protobuf body, records) of every recorded log payload."""
    out = []
    for _, request in load_payloads(claude_fixtures, "logs"):
        records = sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
        out.append((request.SerializeToString(), records))
    return out


@pytest.fixture
def loki():
    fake = LokiStandin()
    yield fake
    fake.stop()


def send_logs(service, bodies) -> None:
    for body, _ in bodies:
        response = loopback.post(
            f"{service.endpoints['otlp_http']}/v1/logs",
            content=body,
            headers={"Content-Type": "application/x-protobuf"},
            timeout=10,
        )
        assert response.status_code == 200


def self_metric(service, name: str) -> float:
    return total(scrape(service), name)


def event_ids(records) -> Counter:
    return Counter((r["attributes"]["session.id"], r["attributes"]["event.sequence"]) for r in records)


def test_events_reach_loki_without_content(start_collector, loki, log_bodies):
    loki.start()
    service = start_collector(loki_url=loki.url)
    send_logs(service, log_bodies)
    total = sum(n for _, n in log_bodies)
    assert total == 27
    wait_until(lambda: loki.count() == total, timeout=20, what="all events in Loki")

    assert all(CONTENT.isdisjoint(r["attributes"]) for r in loki.records)
    assert set(event_ids(loki.records).values()) == {1}
    names = Counter(r["attributes"]["event.name"] for r in loki.records)
    assert names["api_request"] == 9 and names["user_prompt"] == 3
    assert {r["resource"]["service.name"] for r in loki.records} == {"claude-code"}
    assert all(r["body"] == "claude_code." + r["attributes"]["event.name"] for r in loki.records)
    # what stays: the session (structured metadata in Loki), costs, durations
    costs = [r["attributes"]["cost_usd"] for r in loki.records if r["attributes"]["event.name"] == "api_request"]
    assert abs(sum(costs) - 0.18225) < 1e-12
    assert self_metric(service, "agent_analytics_collector_loki_forwarded_total") == total
    assert self_metric(service, "agent_analytics_collector_loki_forward_failures_total") == 0


def test_prompts_kept_when_the_operator_opts_in(start_collector, loki, log_bodies):
    loki.start()
    service = start_collector(loki_url=loki.url, log_prompts=True)
    send_logs(service, log_bodies)
    wait_until(lambda: loki.count() == 27, timeout=20, what="all events in Loki")
    prompts = [r for r in loki.records if r["attributes"]["event.name"] == "user_prompt"]
    assert len(prompts) == 3 and all("prompt" in r["attributes"] for r in prompts)


def test_loki_down_spools_then_delivers_exactly_once(start_collector, loki, log_bodies):
    service = start_collector(loki_url=loki.url, loki_max_backoff_seconds=1.0, loki_timeout_seconds=2.0)
    send_logs(service, log_bodies[:2])
    wait_until(lambda: self_metric(service, "agent_analytics_collector_spool_bytes") > 0, timeout=20, what="spool")
    send_logs(service, log_bodies[2:])
    total = sum(n for _, n in log_bodies)
    assert self_metric(service, "agent_analytics_collector_spool_records") == total
    assert self_metric(service, "agent_analytics_collector_loki_forward_failures_total") >= 1
    assert loki.count() == 0

    loki.start()
    wait_until(lambda: loki.count() == total, timeout=30, what="spool replayed")
    wait_until(
        lambda: self_metric(service, "agent_analytics_collector_spool_records") == 0, timeout=10, what="spool emptied"
    )
    time.sleep(1.5)  # one more retry period: nothing is sent twice
    assert loki.count() == total
    assert set(event_ids(loki.records).values()) == {1}
    assert all(CONTENT.isdisjoint(r["attributes"]) for r in loki.records)
    assert self_metric(service, "agent_analytics_collector_spool_bytes") == 0
    assert self_metric(service, "agent_analytics_collector_loki_forwarded_total") == total


def test_spool_survives_a_restart(start_collector, loki, log_bodies, tmp_path):
    data_dir = tmp_path / "restart"
    first = start_collector(loki_url=loki.url, data_dir=data_dir, loki_timeout_seconds=1.0)
    send_logs(first, log_bodies)
    first.stop()
    total = sum(n for _, n in log_bodies)

    second = start_collector(loki_url=loki.url, data_dir=data_dir, loki_max_backoff_seconds=1.0)
    assert self_metric(second, "agent_analytics_collector_spool_records") == total
    loki.start()
    wait_until(lambda: loki.count() == total, timeout=30, what="spool replayed after restart")
    assert set(event_ids(loki.records).values()) == {1}
    assert self_metric(second, "agent_analytics_collector_spool_bytes") == 0


def test_spool_is_bounded_oldest_dropped_and_counted(start_collector, loki, log_bodies):
    sizes = [len(body) for body, _ in log_bodies]
    # room for the two newest batches only
    service = start_collector(loki_url=loki.url, spool_max_bytes=sizes[-1] + sizes[-2], loki_max_backoff_seconds=1.0)

    def spooled() -> float:
        return self_metric(service, "agent_analytics_collector_spool_records")

    sent = 0
    for one in log_bodies:
        send_logs(service, [one])
        sent += one[1]
        assert spooled() + self_metric(service, "agent_analytics_collector_spool_dropped_total") == sent
    kept = spooled()
    total = sum(n for _, n in log_bodies)
    dropped = self_metric(service, "agent_analytics_collector_spool_dropped_total")
    assert dropped > 0 and dropped + kept == total
    assert kept == log_bodies[-1][1] + log_bodies[-2][1]  # the two newest batches
    assert self_metric(service, "agent_analytics_collector_spool_bytes") <= sizes[-1] + sizes[-2]

    loki.start()
    wait_until(lambda: loki.count() == kept, timeout=30, what="what was kept arrives")
    assert loki.count() == total - dropped


def test_batches_spooled_by_an_earlier_version_are_delivered_once(start_collector, loki, log_bodies, tmp_path):
    """The spool used to be one file per batch, `<sequence>-<records>.pb`: a collector started on
    such a spool sends those batches, then forgets the files."""
    data_dir = tmp_path / "upgraded"
    spool = data_dir / "spool"
    spool.mkdir(parents=True)
    for i, (body, records) in enumerate(log_bodies):
        (spool / f"{i:012d}-{records}.pb").write_bytes(body)
    total = sum(n for _, n in log_bodies)

    loki.start()
    service = start_collector(loki_url=loki.url, data_dir=data_dir)
    wait_until(lambda: loki.count() == total, timeout=30, what="the earlier spool delivered")
    assert not list(spool.glob("*.pb"))
    assert set(event_ids(loki.records).values()) == {1}
    assert self_metric(service, "agent_analytics_collector_loki_forwarded_total") == total
    service.stop()

    again = start_collector(loki_url=loki.url, data_dir=data_dir)
    time.sleep(0.5)  # a restart sends nothing again
    assert self_metric(again, "agent_analytics_collector_spool_records") == 0
    assert loki.count() == total
