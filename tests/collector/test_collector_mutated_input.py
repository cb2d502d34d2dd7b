"""Never crash on input: recorded payloads with random bytes changed are either taken or refused
with 400, and whatever was taken still renders as a /metrics page Prometheus' parser reads."""

import random

import httpx

from tests.collector.payloads import load_payloads
from tests.support.scrape import scrape, total


def mutate(body: bytes, rng: random.Random) -> bytes:
    data = bytearray(body)
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def test_mutated_payloads_never_break_the_collector(start_collector, claude_fixtures):
    service = start_collector()
    rng = random.Random(20261125)
    bodies = [("metrics", r.SerializeToString()) for _, r in load_payloads(claude_fixtures, "metrics")]
    bodies += [("logs", r.SerializeToString()) for _, r in load_payloads(claude_fixtures, "logs")]
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=service.endpoints["otlp_http"], timeout=10) as client:
        for i in range(400):
            signal, body = bodies[i % len(bodies)]
            response = client.post(
                f"/v1/{signal}", content=mutate(body, rng), headers={"Content-Type": "application/x-protobuf"}
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    assert set(statuses) <= {200, 400}, statuses
    assert statuses.get(200, 0) > 40 and statuses.get(400, 0) > 40  # both paths were exercised

    page = scrape(service)
    assert "claude_code_cost_usage_USD_total" in page
    assert total(page, "agent_analytics_collector_rejected_total", reason="malformed") == statuses[400]
    assert not [labels for samples in page.values() for labels, _ in samples if labels.get("reason") == "internal"]
