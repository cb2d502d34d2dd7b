"""One model name per model: Claude Code telemetry naming a model with its release date or a
context suffix, through either collector form, and a vendor report's dated name (through
agent_analytics.vocabulary.model_names) give one row in Spend by model, in a real Prometheus."""

import tempfile
import time
from datetime import date
from pathlib import Path

import pytest

from agent_analytics.exporter.vendors.figures import day_sample_time
from agent_analytics.vocabulary.hourly import grown
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.series import VENDOR_COST
from agent_analytics.vocabulary.spend import Window, total_spend
from agent_analytics.wire.remote_write import push
from tests.collector.payloads import scrape_until
from tests.collector.test_collector_label_policy import counter_request, post
from tests.support.prometheus import Prometheus
from tests.support.rules import fast_rule_files

pytestmark = pytest.mark.prometheus

COST = "claude_code_cost_usage_USD_total"
SENT = [  # (developer, model as the agent names it, USD)
    ("ana", "claude-sonnet-4-5-20250929", 1.5),
    ("bob", "claude-sonnet-4-5[1m]", 2.0),
    ("cy", "claude-sonnet-4-5", 0.25),
]
VENDOR_USD = 4.0  # dan, in the Admin API only, as the report names the model


def test_dated_and_undated_names_give_one_row(start_form):
    collector = start_form()
    for developer, model, usd in SENT:
        request = counter_request("claude_code.cost.usage", [({"model": model, "user.id": developer}, usd)])
        request.resource_metrics[0].scope_metrics[0].metrics[0].unit = "USD"
        post(collector, request)
    expected = {(COST, frozenset({"model": "claude-sonnet-4-5", "user_id": d}.items())): usd for d, _, usd in SENT}
    assert scrape_until(collector, COST, expected) == expected, start_form.form

    rules = fast_rule_files(Path(tempfile.mkdtemp(prefix="aa-rules-")))
    with Prometheus(
        {"collector": [f"127.0.0.1:{collector.metrics_port}"]}, rule_files=rules, remote_write=True
    ) as prom:
        prom.wait_targets_up()
        prom.wait_for(f"sum({COST})", sum(usd for *_, usd in SENT), tol=1e-12)
        prom.wait_for(grown(COST, "1h"), sum(usd for *_, usd in SENT), tol=1e-12)  # the hourly rules took it in
        yesterday = time.gmtime(time.time() - 86400)
        day = date(yesterday.tm_year, yesterday.tm_mon, yesterday.tm_mday)
        labels = {"__name__": VENDOR_COST, "source": "anthropic", "agent": "claude-code", "developer_id": "dan"}
        labels |= {"team_id": "", "model": normalise_model("claude-sonnet-4-5-20250929")}
        push(prom.url, [(labels, [(day_sample_time(day) * 1000, VENDOR_USD)])])
        rows = prom.query(total_spend(Window("3d"), "model"))
    assert [r["metric"] for r in rows] == [{"model": "claude-sonnet-4-5"}]
    assert float(rows[0]["value"][1]) == pytest.approx(sum(usd for *_, usd in SENT) + VENDOR_USD, rel=1e-12)
