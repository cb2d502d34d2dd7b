"""The generated Alertmanager configuration, checked with Alertmanager's own tool (amtool): valid for
every receiver kind, routing each team's pages and tickets where the operator said, inhibiting from
the monitoring facts, rendering notifications a person can act on, and holding no secret."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from agent_analytics.alerting import alertmanager
from agent_analytics.alerting.routing import AlertingConfig, alerting_from
from agent_analytics.config.errors import ConfigError
from agent_analytics.config.files import parse_yaml
from agent_analytics.vocabulary import facts
from prometheus.rules_src import build
from tests.support.alertmanager import amtool

SECRETS = {
    "PD_KEY": "pd-routing-key-4f1e9a",
    "HOOK_TOKEN": "hook-bearer-token-77c2",
    "SMTP_PASSWORD": "smtp-password-a0b1",
}
SLACK_URL = "https://hooks.slack.com/services/T000/B000/slack-secret-9d3e"
RECEIVERS = {
    "webhook": {"webhook": {"url": "https://hooks.example.com/alerts", "bearer_token": {"env": "HOOK_TOKEN"}}},
    "webhook-basic": {
        "webhook": {"url": "https://hooks.example.com/alerts", "username": "am", "password": {"env": "SMTP_PASSWORD"}}
    },
    "slack": {"slack": {"url": {"file": "slack-url"}, "channel": "#ai-spend"}},
    "pagerduty": {"pagerduty": {"routing_key": {"env": "PD_KEY"}}},
    "email": {
        "email": {
            "to": "finance@example.com",
            "from": "alerts@example.com",
            "smarthost": "smtp.example.com:587",
            "username": "alerts",
            "password": {"env": "SMTP_PASSWORD"},
        }
    },
}


@pytest.fixture
def secrets(tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "slack-url").write_text(SLACK_URL + "\n")
    return tmp_path


def routing(receivers: dict, base, **sections) -> AlertingConfig:
    return AlertingConfig.model_validate({"receivers": receivers, **sections}, context={"base_dir": base})


def check_config(path) -> str:
    done = amtool("check-config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("kind", [*RECEIVERS, "all"])
def test_amtool_accepts_the_generated_configuration_for_every_receiver_kind(secrets, kind):
    receivers = RECEIVERS if kind == "all" else {kind: RECEIVERS[kind]}
    names = list(receivers)
    config = routing(receivers, secrets, default={"page": names[0], "ticket": names[-1]})
    path = alertmanager.generate(config, secrets / "am").write()
    out = check_config(path)
    assert f" - {len(receivers) + 1} receivers" in out  # theirs and the one that sends nothing
    assert f" - {len(facts.INHIBITIONS)} inhibit rules" in out and " - 1 templates" in out


def test_each_teams_pages_and_tickets_go_where_the_operator_said(secrets):
    hooks = {
        name: {"webhook": {"url": f"https://hooks.example.com/{name}"}}
        for name in ("a-pager", "a-tickets", "b-pager", "ops", "ops-tickets", "stack")
    }
    config = routing(
        hooks,
        secrets,
        teams={"a": {"page": "a-pager", "ticket": "a-tickets"}, "b": {"page": "b-pager"}},
        default={"page": "ops", "ticket": "ops-tickets"},
        pipeline={"ticket": "stack"},
    )
    path = alertmanager.generate(config, secrets / "am").write()

    def receiver(*labels: str) -> str:
        done = amtool("config", "routes", "test", f"--config.file={path}", *labels)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert receiver("alertname=AgentSpendFastBurn", "team_id=a", "severity=page") == "a-pager"
    assert receiver("alertname=AgentSpendSlowBurn", "team_id=a", "severity=ticket") == "a-tickets"
    assert receiver("alertname=AgentBudgetExhausted", "team_id=b", "severity=page") == "b-pager"
    # a team without a ticket receiver gets the default's; a team not listed the default's
    assert receiver("alertname=AgentBudgetForecastOverrun", "team_id=b", "severity=ticket") == "ops-tickets"
    assert receiver("alertname=AgentSpendFastBurn", "team_id=c", "severity=page") == "ops"
    # the stack's own alerts (no team): to `pipeline`, and what it leaves out to the default
    assert receiver("alertname=AgentAnalyticsChildRestarting", "child=prometheus", "severity=ticket") == "stack"
    assert receiver("alertname=AgentAnalyticsCollectorDown", "job=collector", "severity=page") == "ops"

    # without `pipeline` they go by the default; without any routing to nobody (shown, not sent)
    plain = alertmanager.generate(routing(hooks, secrets, default={"ticket": "ops-tickets"}), secrets / "plain").write()
    done = amtool("config", "routes", "test", f"--config.file={plain}", "alertname=VendorApiDown", "severity=ticket")
    assert done.stdout.strip() == "ops-tickets"
    empty = alertmanager.generate(None, secrets / "empty").write()
    check_config(empty)
    done = amtool("config", "routes", "test", f"--config.file={empty}", "team_id=a", "severity=page")
    assert done.stdout.strip() == "nobody"


def test_grouping_timings_and_inhibitions_come_from_the_monitoring_facts(secrets):
    generated = alertmanager.generate(None, secrets / "am").config
    route = generated["route"]
    assert route["group_by"] == ["alertname", "team_id"]
    assert (route["group_wait"], route["group_interval"]) == (facts.GROUP_WAIT, facts.GROUP_INTERVAL)
    assert generated["inhibit_rules"][0] == {
        "source_matchers": ['alertname="AgentBudgetExhausted"'],
        "target_matchers": ['alertname=~"AgentSpendFastBurn|AgentSpendSlowBurn|AgentBudgetForecastOverrun"'],
        "equal": ["team_id"],
    }
    # every alert the facts name is one the rules have; the budget alerts are the budget group's
    files = (build.ALERTS_OUT, build.ROLLOUT_ALERTS_OUT)
    groups = {
        g["name"]: [r["alert"] for r in g["rules"]] for f in files for g in yaml.safe_load(f.read_text())["groups"]
    }
    alerts = {a for names in groups.values() for a in names}
    named = {i.source for i in facts.INHIBITIONS} | {t for i in facts.INHIBITIONS for t in i.targets}
    assert named <= alerts, named - alerts
    assert tuple(groups["agent_analytics_budget_alerts"]) == facts.BUDGET_ALERTS


def test_no_secret_enters_the_generated_configuration(secrets):
    config = routing(RECEIVERS, secrets, default={"page": "pagerduty", "ticket": "slack"})
    folder = secrets / "am"
    generated = alertmanager.generate(config, folder)
    path = generated.write()
    text = path.read_text()
    for secret in [*SECRETS.values(), SLACK_URL]:
        assert secret not in text
        assert secret not in (folder / alertmanager.TEMPLATE).read_text()
    receivers = {r["name"]: r for r in yaml.safe_load(text)["receivers"]}
    assert receivers["slack"]["slack_configs"][0]["api_url_file"] == str(secrets / "slack-url")  # read where it is
    # a secret from the environment: alone in a file only this user reads, which the config names
    key_file = receivers["pagerduty"]["pagerduty_configs"][0]["routing_key_file"]
    assert Path(key_file).read_text() == SECRETS["PD_KEY"]
    assert stat.S_IMODE((folder / alertmanager.SECRETS).stat().st_mode) == 0o700
    for secret_file in (folder / alertmanager.SECRETS).iterdir():
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    # generated again with fewer secrets: the others' files are gone
    alertmanager.generate(routing({"slack": RECEIVERS["slack"]}, secrets), folder).write()
    assert list((folder / alertmanager.SECRETS).iterdir()) == []


def test_a_secret_that_is_not_there_is_one_line_naming_the_key(secrets, monkeypatch):
    monkeypatch.delenv("PD_KEY")
    config = routing({"pd": RECEIVERS["pagerduty"]}, secrets)
    with pytest.raises(ConfigError) as e:
        alertmanager.generate(config, secrets / "am", "stack.yaml: alerting")
    assert str(e.value) == (
        "stack.yaml: alerting: receivers.pd.pagerduty.routing_key: the environment variable PD_KEY is missing or"
        " empty: export PD_KEY"
    )
    (secrets / "slack-url").unlink()
    with pytest.raises(ConfigError) as e:
        alertmanager.generate(routing({"s": RECEIVERS["slack"]}, secrets), secrets / "am", "alerting.yaml")
    assert str(e.value) == (
        f"alerting.yaml: receivers.s.slack.url: the file {secrets / 'slack-url'} is missing or empty: put the secret"
        f" into {secrets / 'slack-url'}"
    )


def test_a_secret_written_into_the_config_is_refused_without_repeating_it():
    doc = parse_yaml(f"receivers:\n  chat:\n    slack: {{url: '{SLACK_URL}'}}\n", "alerting.yaml")
    with pytest.raises(ConfigError) as e:
        alerting_from(doc)
    assert str(e.value) == (
        "alerting.yaml: receivers.chat.slack.url: a secret is never written in the config: write {file: PATH} or"
        " {env: VARIABLE} (line 3)"
    )
    # the secret where the variable's name belongs: refused, not repeated either
    doc = parse_yaml(f"receivers:\n  chat:\n    slack: {{url: {{env: '{SLACK_URL}'}}}}\n", "alerting.yaml")
    with pytest.raises(ConfigError) as e:
        alerting_from(doc)
    assert str(e.value) == (
        "alerting.yaml: receivers.chat.slack.url.env: expected the NAME of an environment variable (e.g. SLACK_URL),"
        " not a value (line 3)"
    )


def test_a_notification_names_the_team_its_figures_the_runbook_and_the_dashboard(tmp_path):
    folder = tmp_path / "am"
    alertmanager.generate(None, folder).write()
    dashboard = facts.budgets_dashboard_url("https://grafana.example.com", "platform")
    runbook = facts.runbook_url("AgentSpendFastBurn")
    summary = "Team platform is spending its AI budget 21.5x too fast"
    labels = {"alertname": "AgentSpendFastBurn", "team_id": "platform", "severity": "page", "dashboard_url": dashboard}
    notes = {
        "summary": summary,
        "description": "Over the last hour team platform spent at 21.5 times the pace its monthly budget allows.",
        "month_to_date": "152.22 USD",
        "budget": "2678.40 USD",
        "burn_rate": "21.5",
        "agents": "gemini-cli 145.14 USD, claude-code 7.08 USD",
        "runbook_url": runbook,
    }
    data = {
        "receiver": "platform-pager",
        "status": "firing",
        "alerts": [{"status": "firing", "labels": labels, "annotations": notes}],
        "groupLabels": {"alertname": "AgentSpendFastBurn", "team_id": "platform"},
        "commonLabels": labels,
        "commonAnnotations": notes,
        "externalURL": "http://127.0.0.1:9093",
    }
    (tmp_path / "data.json").write_text(json.dumps(data))

    def render(name: str) -> str:
        done = amtool(
            "template",
            "render",
            f"--template.glob={folder / alertmanager.TEMPLATE}",
            f'--template.text={{{{ template "agent_analytics.{name}" . }}}}',
            f"--template.data={tmp_path / 'data.json'}",
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert render("title") == f"[FIRING] {summary}"
    assert render("text") == (
        f"{summary}\n"
        "Over the last hour team platform spent at 21.5 times the pace its monthly budget allows.\n"
        "Team: platform\n"
        "Month to date: 152.22 USD of a 2678.40 USD budget\n"
        "Burn rate over the last hour: 21.5x the even pace\n"
        "Agents this month: gemini-cli 145.14 USD, claude-code 7.08 USD\n"
        f"Dashboard: {dashboard}\n"
        f"Runbook: {runbook}\n\n"
    )
    assert render("link") == dashboard
    assert render("pagerduty_severity") == "critical"
