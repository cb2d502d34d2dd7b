"""Prometheus sends to Alertmanager in both forms of the stack: compose's prometheus.yml and the
configuration `up` writes (checked with promtool), compose's Alertmanager reads what its renderer
writes, Grafana gets the Alertmanager data source, and the budget alerts' dashboard link points at
the Budgets dashboard's filter."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from agent_analytics.alerting.alertmanager import CONFIG, generate
from agent_analytics.alerting.prometheus_alerting import alerting_section
from agent_analytics.alerting.routing import alerting_from
from agent_analytics.config.files import parse_yaml
from agent_analytics.stack.config import load_stack_config
from agent_analytics.stack.supervisor import LocalStack
from agent_analytics.vocabulary import facts
from tests.support.alertmanager import amtool

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def promtool_check_config(path: Path) -> str:
    done = subprocess.run([shutil.which("promtool"), "check", "config", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_compose_prometheus_sends_to_its_alertmanager_with_the_dashboard_link():
    config = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    assert config["alerting"] == alerting_section(["alertmanager:9093"], facts.GRAFANA_URL)
    assert "9093" in COMPOSE["services"]["alertmanager"]["ports"][0]


def test_the_prometheus_config_up_writes_sends_to_its_alertmanager_and_promtool_accepts_it(tmp_path):
    settings = tmp_path / "stack.yaml"
    settings.write_text("alerting:\n  grafana_url: https://grafana.example.com/\n")
    stack = LocalStack(load_stack_config(settings, {"alertmanager": 19093}), tmp_path / "data")
    stack.run_dir.mkdir(parents=True)
    path = stack.prometheus_config()
    written = yaml.safe_load(path.read_text())
    assert written["alerting"] == alerting_section(["127.0.0.1:19093"], "https://grafana.example.com")
    promtool_check_config(path)
    # the link Prometheus puts on a budget alert of team "platform"
    relabel = written["alerting"]["alert_relabel_configs"][0]
    assert re.fullmatch(relabel["regex"], "AgentBudgetExhausted;platform")
    assert not re.fullmatch(relabel["regex"], "AgentTelemetryStopped;platform")  # not a budget alert
    assert relabel["replacement"].replace("${2}", "platform") == (
        "https://grafana.example.com/d/aa-budgets/budgets?var-team=platform"
    )
    # without an Alertmanager here: no alerting section, and Grafana gets no Alertmanager data source
    stack.found["alertmanager"] = (None, "no `alertmanager` or `prometheus-alertmanager` on PATH")
    assert "alerting" not in yaml.safe_load(stack.prometheus_config().read_text())
    sources = yaml.safe_load((stack.grafana_provisioning() / "datasources" / "datasources.yaml").read_text())
    assert {s["type"] for s in sources["datasources"]} == {"prometheus", "loki"}


def test_grafana_gets_the_alertmanager_of_up_as_a_data_source(tmp_path):
    stack = LocalStack(load_stack_config(None, {"alertmanager": 19093, "grafana": 13000}), tmp_path / "data")
    stack.run_dir.mkdir(parents=True)
    sources = yaml.safe_load((stack.grafana_provisioning() / "datasources" / "datasources.yaml").read_text())
    (am,) = [s for s in sources["datasources"] if s["type"] == "alertmanager"]
    assert (am["uid"], am["url"], am["jsonData"]["implementation"]) == (
        "aa-alertmanager",
        "http://127.0.0.1:19093",
        "prometheus",
    )


def test_the_budget_alerts_link_the_budgets_dashboard_filtered_by_its_team_variable():
    dashboard = json.loads((ROOT / "grafana" / "dashboards" / "budgets.json").read_text())
    assert dashboard["uid"] == facts.BUDGETS_DASHBOARD_UID
    assert dashboard["title"].lower() == facts.BUDGETS_DASHBOARD_SLUG  # Grafana's URL slug of the title
    (team,) = [v for v in dashboard["templating"]["list"] if v["name"] == facts.BUDGETS_TEAM_VARIABLE]
    assert "team_id" in team["query"]


def test_compose_renders_the_alerting_config_where_its_alertmanager_reads_it(tmp_path):
    services = COMPOSE["services"]
    renderer, am = services["alertmanager-config"], services["alertmanager"]
    assert renderer["image"] == services["exporter"]["image"] and renderer["build"] == services["exporter"]["build"]
    assert renderer["entrypoint"] == ["agent-analytics", "config", "alertmanager"]
    source, out = renderer["command"][0], renderer["command"][renderer["command"].index("--out") + 1]
    assert am["depends_on"] == {"alertmanager-config": {"condition": "service_completed_successfully"}}
    # one volume, mounted at the same path in both: the paths in the config are those Alertmanager sees
    assert renderer["volumes"] == am["volumes"] == ["alertmanager-data:/var/lib/agent-analytics"]
    assert f"--config.file={out}/{CONFIG}" in am["command"]
    # Alertmanager runs as the exporter image's user, who alone reads the secrets it writes (0600)
    uid = re.search(r"useradd [^\n]*--uid (\d+)", (ROOT / "Dockerfile").read_text()).group(1)
    assert am["user"] == f"{uid}:{uid}"
    # compose's own alerting config is valid and renders a configuration amtool accepts
    (config,) = [c for c in renderer["configs"] if c["target"] == source]
    content = COMPOSE["configs"][config["source"]]["content"]
    path = generate(alerting_from(parse_yaml(content, "compose alerting_config")), tmp_path / "out").write()
    done = amtool("check-config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
