"""A window that spans backfilled history and live data: `demo` writes a week of history (with
its hourly pre-aggregates) into the TSDB of a Prometheus that then runs the recording rules and
scrapes the embedded collector, fed the recorded Claude Code payloads. The panels over the last
30 days equal the history's ground truth plus the recordings', each counted once."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from agent_analytics.collector.config import load_config as load_collector_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.history.demo.generate import generate
from agent_analytics.history.tsdb_blocks import newest_allowed
from agent_analytics.vocabulary.hourly import grown
from tests.support import ground_truth
from tests.support.demo_spend import spend_truth, write_demo
from tests.support.grafana_queries import targets
from tests.support.live_stack import DEVELOPER
from tests.support.prometheus import Prometheus
from tests.support.rules import fast_rule_files

pytestmark = pytest.mark.prometheus

DEVELOPERS, DAYS, SEED = 5, 7, 11
COST = "claude_code_cost_usage_USD_total"
TOKENS = "claude_code_token_usage_tokens_total"


@pytest.fixture(scope="module")
def stack(claude_fixtures: Path, tmp_path_factory):
    end = newest_allowed() // 3600 * 3600  # where `demo` ends by default: a whole hour, 4 hours back or more
    tsdb = tmp_path_factory.mktemp("tsdb")
    write_demo(tsdb, DEVELOPERS, DAYS, SEED, end)
    collector = CollectorService(
        load_collector_config(
            None, grpc_port=0, http_port=0, metrics_port=0, data_dir=tmp_path_factory.mktemp("collector")
        )
    )
    collector.start()
    ground_truth.post(claude_fixtures, collector.endpoints["otlp_http"], DEVELOPER, ("metrics",))
    prometheus = Prometheus(
        targets={"collector": [collector.endpoints["metrics"].split("//")[1].split("/")[0]]},
        rule_files=fast_rule_files(tmp_path_factory.mktemp("rules")),
        data_dir=tsdb,
        extra_args=["--storage.tsdb.retention.time=400d"],
    ).start()
    try:
        prometheus.wait_targets_up()
        live = ground_truth.total(claude_fixtures, "claude_code.cost.usage")
        prometheus.wait_for(grown(COST, "1h"), live)  # the hour in progress: live data only
        yield prometheus, generate(DEVELOPERS, DAYS, seed=SEED, end=end)
    finally:
        prometheus.stop()
        collector.stop()


def panel(prom: Prometheus, dashboard: str, title: str) -> list[dict]:
    from tests.support.grafana_queries import substitute

    found = [t for t in targets("prometheus") if t.dashboard == dashboard and t.panel == title]
    assert len(found) == 1, f"{dashboard} / {title}: {len(found)} targets"
    return prom.query(substitute(found[0], range_="30d"), at=math.ceil(time.time()))  # after the newest evaluation


def test_spend_over_history_and_live_data_counts_each_once(stack, claude_fixtures):
    prom, history = stack
    truth = sum(spend_truth((history,), history.start, history.end).values())
    live = ground_truth.total(claude_fixtures, "claude_code.cost.usage")
    assert truth > 0 and live > 0
    spend = panel(prom, "AI spend & ROI", "Usage spend")
    assert len(spend) == 1
    assert float(spend[0]["value"][1]) == pytest.approx(truth + live, abs=1e-6)
    by_developer = {
        s["metric"]["developer_id"]: float(s["value"][1])
        for s in panel(prom, "AI spend & ROI", "Usage spend by developer")
    }
    assert by_developer[DEVELOPER] == pytest.approx(live, abs=1e-9)
    assert sum(by_developer.values()) == pytest.approx(truth + live, abs=1e-6)


def test_tokens_over_history_and_live_data_count_each_once(stack, claude_fixtures):
    prom, history = stack
    expected = {k[0]: v for k, v in history.total(TOKENS, history.start, history.end, ("type",)).items()}
    for kind, n in ground_truth.total_by(claude_fixtures, "claude_code.token.usage", "type").items():
        expected[kind] = expected.get(kind, 0) + n
    result = panel(prom, "Claude Code usage", "Claude Code tokens by type")
    assert {s["metric"]["type"]: float(s["value"][1]) for s in result} == expected
