"""Spend reaches the on-call: agents' spend sent through the embedded collector, the exporter's
budgets, the real Prometheus evaluating the project's rules and sending to the real Alertmanager
(Debian's binary) configured by the generator, and each team's pager and ticket receivers as real
webhook servers on loopback.

Time runs sixty times faster for the rules (tests/support/rules.py compressed_rule_files: the
5-minute window is 5 s, `for: 2m` is 2 s), and Alertmanager groups within a second: the minutes of
a real burn pass in seconds. The thresholds and every recorded value are those of the real rules.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from agent_analytics.alerting.alertmanager import Timings, generate
from agent_analytics.alerting.prometheus_alerting import DASHBOARD_LABEL, alerting_section
from agent_analytics.alerting.routing import AlertingConfig
from agent_analytics.collector.config import load_config as collector_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.vocabulary import facts
from tests.collector.sdk_workload import DELTA
from tests.support.alertmanager import Alertmanager, Webhook
from tests.support.net import wait_until
from tests.support.prometheus import Prometheus
from tests.support.rules import compressed_rule_files

pytestmark = [pytest.mark.prometheus, pytest.mark.long]

GRAFANA = "https://grafana.example.com"
BUDGETS = {"alpha": 1000.0, "beta": 0.0}  # beta may not spend at all: its first dollar exhausts it
RECEIVERS = ("alpha-pager", "alpha-tickets", "beta-pager", "beta-tickets", "ops")
FAST, EXHAUSTED = "AgentSpendFastBurn", "AgentBudgetExhausted"


class Spender:
    """A developer's Claude Code as the collector sees it: OTLP/HTTP delta cost points through the
    OpenTelemetry SDK, `usd_per_second` while `on` is set."""

    def __init__(self, endpoint: str, team: str, usd_per_second: float):
        who = {"developer.id": f"dev-{team}", "team.id": team}
        exporter = OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", timeout=5, preferred_temporality=DELTA)
        self.reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        resource = Resource.create({"service.name": "claude-code", **who})
        self.provider = MeterProvider([self.reader], resource=resource)
        self.cost = self.provider.get_meter("claude-code").create_counter("claude_code.cost.usage", unit="USD")
        self.attributes = {"model": "claude-opus-4-8", **who}
        self.step = usd_per_second / 4
        self.sent = 0.0
        self.on = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.is_set():
            if self.on.wait(0.1):
                self.cost.add(self.step, self.attributes)
                self.reader.force_flush(timeout_millis=5_000)
                self.sent += self.step
                time.sleep(0.25)

    def close(self) -> None:
        self.done.set()
        self.thread.join(timeout=10)
        self.provider.shutdown()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[dict]:
    work = tmp_path_factory.mktemp("paging")
    with ExitStack() as stack:
        hooks = {name: stack.enter_context(Webhook()) for name in RECEIVERS}
        routing = AlertingConfig.model_validate(
            {
                "receivers": {name: {"webhook": {"url": f"{hook.url}/{name}"}} for name, hook in hooks.items()},
                "teams": {team: {"page": f"{team}-pager", "ticket": f"{team}-tickets"} for team in BUDGETS},
                "default": {"page": "ops", "ticket": "ops"},
            }
        )
        quick = Timings(group_wait="1s", group_interval="1s", repeat={"page": "1h", "ticket": "1h"})
        config = generate(routing, work / "alertmanager", timings=quick).write()
        alertmanager = stack.enter_context(Alertmanager(config))

        collector = CollectorService(
            collector_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=work / "collector")
        ).start()
        stack.callback(collector.stop)
        exporter = ExporterService(
            parse_config({"budgets": BUDGETS}), port=0, data_dir=work / "exporter", scan=False, poll=False
        ).start()
        stack.callback(exporter.stop)
        prometheus = stack.enter_context(
            Prometheus(
                targets={
                    facts.JOB_COLLECTOR: [collector.endpoints["metrics"].split("//")[1].split("/")[0]],
                    facts.JOB_EXPORTER: [f"127.0.0.1:{exporter.port}"],
                },
                rule_files=compressed_rule_files(work),
                alerting=alerting_section([f"127.0.0.1:{alertmanager.port}"], GRAFANA),
            )
        )
        prometheus.wait_targets_up()
        spenders = {
            "alpha": Spender(collector.endpoints["otlp_http"], "alpha", 10.0),
            "beta": Spender(collector.endpoints["otlp_http"], "beta", 1.0),
        }
        for spender in spenders.values():
            stack.callback(spender.close)
        yield {"hooks": hooks, "alertmanager": alertmanager, "prometheus": prometheus, "spenders": spenders}


def notifications(hook: Webhook, alertname: str | None = None) -> list[dict]:
    return [n for n in hook.notifications() if alertname is None or n["groupLabels"].get("alertname") == alertname]


def wait_for_notifications(hook: Webhook, count: int, what: str, timeout: float = 60) -> list[dict]:
    wait_until(lambda: len(hook.notifications()) >= count, timeout=timeout, what=what)
    return hook.notifications()


def test_a_fast_burn_pages_its_team_once_then_resolves_and_no_other_team_hears_of_it(stack):
    hooks, alpha = stack["hooks"], stack["spenders"]["alpha"]
    alpha.on.set()
    (page,) = wait_for_notifications(hooks["alpha-pager"], 1, "alpha's page")
    time.sleep(3)  # group_interval passes three times: a repeat would have come by now

    assert page["status"] == "firing" and page["receiver"] == "alpha-pager"
    assert page["groupLabels"] == {"alertname": FAST, "team_id": "alpha"}
    (alert,) = page["alerts"]
    labels, notes = alert["labels"], alert["annotations"]
    assert labels == {
        "alertname": FAST,
        "severity": "page",
        "team_id": "alpha",
        DASHBOARD_LABEL: f"{GRAFANA}/d/aa-budgets/budgets?var-team=alpha",
    }
    assert (
        notes["runbook_url"] == "https://agent-analytics.github.io/agent-analytics/runbooks/#runbook-agentspendfastburn"
    )
    assert notes["budget"] == "1000.00 USD"
    month_to_date = float(re.fullmatch(r"(\d+\.\d\d) USD", notes["month_to_date"]).group(1))
    assert 0 < month_to_date <= alpha.sent
    assert float(notes["burn_rate"]) > facts.FAST_BURN.factor
    assert notes["agents"] == f"claude-code {month_to_date:.2f} USD"  # the only agent alpha used
    assert notes["summary"].startswith("Team alpha is spending its AI budget ")

    assert len(notifications(hooks["alpha-pager"])) == 1
    assert notifications(hooks["beta-pager"]) == notifications(hooks["beta-tickets"]) == []
    assert [n for n in hooks["ops"].notifications() if n["groupLabels"].get("team_id")] == []

    # the spend stops: once the short window holds none of it, the page resolves
    alpha.on.clear()
    first, resolved = wait_for_notifications(hooks["alpha-pager"], 2, "alpha's resolved page", timeout=30)
    assert resolved["status"] == "resolved"
    assert resolved["groupLabels"] == {"alertname": FAST, "team_id": "alpha"}
    assert [a["status"] for a in resolved["alerts"]] == ["resolved"]
    assert notifications(hooks["beta-pager"]) == []


def test_an_exhausted_budget_inhibits_its_teams_burn_alert_not_anothers_and_a_silence_suppresses(stack):
    hooks, am, spenders = stack["hooks"], stack["alertmanager"], stack["spenders"]
    already = len(hooks["alpha-pager"].notifications())
    silence = am.amtool(
        "silence", "add", f"alertname={FAST}", "team_id=alpha", "--comment=load test", "--author=test", "--duration=1h"
    )
    assert silence.returncode == 0, silence.stderr
    silence_id = silence.stdout.strip()

    spenders["alpha"].on.set()
    spenders["beta"].on.set()
    try:

        def both_burning() -> bool:
            return {a["labels"]["team_id"] for a in am.alerts(alertname=FAST)} == {"alpha", "beta"}

        wait_until(both_burning, timeout=60, what="both teams' fast burn in Alertmanager")
        time.sleep(3)
        burns = {a["labels"]["team_id"]: a["status"] for a in am.alerts(alertname=FAST)}
        (exhausted,) = am.alerts(alertname=EXHAUSTED)
        assert exhausted["labels"]["team_id"] == "beta"
        # beta's burn: inhibited by beta's exhausted budget, and by nothing else
        assert burns["beta"] == {"state": "suppressed", "inhibitedBy": [exhausted["fingerprint"]], "silencedBy": []}
        # alpha's burn: no inhibition (its budget is not exhausted), only the silence made with amtool
        assert burns["alpha"] == {"state": "suppressed", "inhibitedBy": [], "silencedBy": [silence_id]}
        query = am.amtool("alert", "query", f"alertname={FAST}", "--silenced", "-o", "extended")
        assert query.returncode == 0 and 'team_id="alpha"' in query.stdout and "beta" not in query.stdout, query

        # beta's pager heard of the exhausted budget only; alpha's pager nothing more
        (page,) = notifications(hooks["beta-pager"])
        assert page["groupLabels"] == {"alertname": EXHAUSTED, "team_id": "beta"}
        assert page["alerts"][0]["annotations"]["budget"] == "0.00 USD"
        assert page["alerts"][0]["labels"][DASHBOARD_LABEL] == f"{GRAFANA}/d/aa-budgets/budgets?var-team=beta"
        assert len(hooks["alpha-pager"].notifications()) == already
    finally:
        spenders["alpha"].on.clear()
        spenders["beta"].on.clear()
