"""Budget figures of the AI spend & ROI dashboard and the alert timeline of Budgets, evaluated by
promtool on recorded series: spend of teams without a budget does not count against the budgets
of the others; an alert shows once, firing over pending."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.support.grafana_queries import substitute, targets

pytestmark = pytest.mark.prometheus


def panel_expr(title: str) -> str:
    found = [t for t in targets("prometheus") if t.dashboard == "AI spend & ROI" and t.panel == title]
    assert len(found) == 1, title
    return substitute(found[0], range_="1h")


def test_month_to_date_over_budget_counts_only_teams_with_a_budget(tmp_path):
    # platform: 50 of 100 USD; search: 30 of 200 USD; "" (no team) and labs (no budget): 500 USD
    series = {
        'team:agent_spend_usd:month_to_date{team_id="platform"}': 50,
        'team:agent_spend_usd:month_to_date{team_id="search"}': 30,
        'team:agent_spend_usd:month_to_date{team_id=""}': 400,
        'team:agent_spend_usd:month_to_date{team_id="labs"}': 100,
        'team:agent_budget_usd:monthly{team_id="platform"}': 100,
        'team:agent_budget_usd:monthly{team_id="search"}': 200,
    }
    expr = panel_expr("Month to date / budget")
    # (50 + 30) / (100 + 200), in millionths
    promtool_test(
        tmp_path,
        {s: f"{v}x10" for s, v in series.items()},
        [{"expr": f"round(({expr}) * 1e6)", "eval_time": "5m", "exp_samples": [{"value": 266667}]}],
    )


def promtool_test(tmp_path, series: dict[str, str], checks: list[dict]) -> None:
    test = {
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": s, "values": v} for s, v in series.items()],
                "promql_expr_test": checks,
            }
        ],
    }
    path = tmp_path / "panel_test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    binary = shutil.which("promtool")
    assert binary, "promtool not found: sudo apt-get install prometheus"
    done = subprocess.run([binary, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_alert_timeline_shows_each_alert_once_firing_over_pending(tmp_path):
    """Budgets / Alert rules: 1 while an alert is pending, 2 once it fires, one row per alert
    even when its teams are in different states."""
    found = [t for t in targets("prometheus") if t.dashboard == "Budgets" and t.panel == "Alert rules (Prometheus)"]
    assert len(found) == 1
    expr = substitute(found[0])
    series = {
        # pending for minutes 0-4, firing from minute 5 on
        'ALERTS{alertname="AgentSpendFastBurn", alertstate="pending", team_id="platform"}': "1x4",
        'ALERTS{alertname="AgentSpendFastBurn", alertstate="firing", team_id="platform"}': "_x5 1x5",
        # one team firing, another pending
        'ALERTS{alertname="AgentBudgetExhausted", alertstate="firing", team_id="search"}': "1x10",
        'ALERTS{alertname="AgentBudgetExhausted", alertstate="pending", team_id="labs"}': "1x10",
    }
    promtool_test(
        tmp_path,
        series,
        [
            {
                "expr": expr,
                "eval_time": "3m",
                "exp_samples": [
                    {"labels": '{alertname="AgentSpendFastBurn"}', "value": 1},
                    {"labels": '{alertname="AgentBudgetExhausted"}', "value": 2},
                ],
            },
            {
                "expr": expr,
                "eval_time": "10m",
                "exp_samples": [
                    {"labels": '{alertname="AgentSpendFastBurn"}', "value": 2},
                    {"labels": '{alertname="AgentBudgetExhausted"}', "value": 2},
                ],
            },
        ],
    )
