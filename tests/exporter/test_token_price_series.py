"""The exporter prices the tokens of the agents whose telemetry has no cost: a real Prometheus
scrapes its price series, and PromQL over the agents' token counters equals genai-prices'
calc_price of the same usage, for models the price list names and for a model the exporter
only learns from Prometheus."""

from __future__ import annotations

import time

import pytest
from genai_prices import Usage, calc_price

from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.vocabulary import series, spend
from agent_analytics.vocabulary.token_prices import priced_agents
from tests.support.hourly_history import push_history
from tests.support.net import free_port, wait_until
from tests.support.prometheus import Prometheus
from tests.support.scrape import scrape, value

pytestmark = pytest.mark.prometheus

# tokens by the agents' own types (tests/fixtures/<agent>/README.md): Gemini's `input` holds the
# cached part, `thought` and `tool` are separate; Codex's `input` holds `cached_input`, and
# `output` holds `reasoning_output`
GEMINI = {
    "gemini-2.5-flash": {"input": 2400, "cache": 700, "output": 130, "thought": 60, "tool": 20},
    "gemini-2.0-flash": {"input": 51_000, "cache": 0, "output": 4_000, "thought": 0, "tool": 0},
}
CODEX = {
    "gpt-5-codex": {
        "input": 4500,
        "cached_input": 1800,
        "cache_write_input": 0,
        "output": 100,
        "reasoning_output": 15,
        "total": 4600,
    }
}


def gemini_usage(t: dict) -> Usage:
    return Usage(
        input_tokens=t["input"] + t["tool"], cache_read_tokens=t["cache"], output_tokens=t["output"] + t["thought"]
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    port = free_port()
    prom = Prometheus(targets={"exporter": [f"127.0.0.1:{port}"]}, remote_write=True).start()
    svc = None
    try:
        hour = int(time.time()) // 3600 * 3600  # the hour ended: its hourly series are written below
        pushed = []
        for agent, models in (("gemini-cli", GEMINI), ("codex", CODEX)):
            spec = priced_agents()[agent]
            for model, tokens in models.items():
                for token_type, n in tokens.items():
                    labels = {"__name__": spec.series, "model": model, spec.type_label: token_type}
                    labels |= {"developer_id": "erin", "team_id": "search"}
                    pushed.append((labels, [((hour - 600) * 1000, 0.0), ((hour - 60) * 1000, float(n))]))
        push_history(prom.url, pushed)
        config = parse_config({"prometheus_url": prom.url, "spend_source": {"claude-code": "vendor_api"}})
        data = tmp_path_factory.mktemp("exporter")
        svc = ExporterService(config, port=port, data_dir=data, scan=False, poll=False).start()
        wait_until(
            lambda: prom.query(f'{series.TOKEN_PRICE}{{model="gemini-2.0-flash"}}'), timeout=30, what="price series"
        )
        yield prom, svc
    finally:
        if svc:
            svc.stop()
        prom.stop()


def cost_by_model(prom, agent: str) -> dict[str, float]:
    expr = spend.agent_spend(agent, spend.Window("1h"), "model")
    return {r["metric"]["model"]: float(r["value"][1]) for r in prom.query(expr)}


def test_gemini_cli_tokens_cost_the_tables_price(stack):
    prom, _ = stack
    truth = {
        model: float(calc_price(gemini_usage(t), model, provider_id="google").total_price)
        for model, t in GEMINI.items()
    }
    assert cost_by_model(prom, "gemini-cli") == pytest.approx(truth, rel=1e-12)
    # 1720 uncached input x 0.30 + 700 cache reads x 0.03 + 190 output x 2.50 USD per million
    assert truth["gemini-2.5-flash"] == pytest.approx(0.001012, rel=1e-12)


def test_codex_tokens_cost_the_tables_price(stack):
    prom, _ = stack
    t = CODEX["gpt-5-codex"]
    usage = Usage(input_tokens=t["input"], cache_read_tokens=t["cached_input"], output_tokens=t["output"])
    truth = float(calc_price(usage, "gpt-5-codex", provider_id="openai").total_price)
    assert cost_by_model(prom, "codex") == pytest.approx({"gpt-5-codex": truth}, rel=1e-12)


def test_the_exporter_says_which_source_each_agent_spend_comes_from(stack):
    _, svc = stack
    m = scrape(f"http://127.0.0.1:{svc.port}")
    assert value(m, series.SPEND_SOURCE, agent="claude-code", source="vendor_api") == 1
    assert value(m, series.SPEND_SOURCE, agent="codex", source="auto") == 1
    assert [labels for labels, _ in m[series.SPEND_SOURCE]] == [
        {"agent": "claude-code", "source": "vendor_api"},
        {"agent": "codex", "source": "auto"},
    ]


def test_without_prometheus_the_listed_models_are_priced_and_the_scrape_goes_on(caplog):
    from agent_analytics.exporter.prices import TokenPriceExposition
    from agent_analytics.vocabulary.token_prices import token_type_prices

    prices = TokenPriceExposition(f"http://127.0.0.1:{free_port()}")
    prices.refresh()
    (family,) = prices.collect()
    got = {(s.labels["agent"], s.labels["model"]) for s in family.samples}
    listed = {(agent, model) for agent, spec in priced_agents().items() for model in spec.models}
    assert got == {(a, m) for a, m in listed if token_type_prices(a, m) is not None}
    assert "cannot ask Prometheus which models to price" in caplog.text
    gemini = {s.labels["type"]: s.value for s in family.samples if s.labels["model"] == "gemini-2.5-flash"}
    assert gemini == token_type_prices("gemini-cli", "gemini-2.5-flash")
