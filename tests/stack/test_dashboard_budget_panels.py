"""Budget figures of the AI spend & ROI dashboard, evaluated by promtool on recorded series:
spend of teams without a budget does not count against the budgets of the others."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.stack.grafana_queries import substitute, targets

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
    test = {
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": s, "values": f"{v}x10"} for s, v in series.items()],
                # (50 + 30) / (100 + 200), in millionths
                "promql_expr_test": [
                    {"expr": f"round(({expr}) * 1e6)", "eval_time": "5m", "exp_samples": [{"value": 266667}]}
                ],
            }
        ],
    }
    path = tmp_path / "panel_test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    binary = shutil.which("promtool")
    assert binary, "promtool not found: sudo apt-get install prometheus"
    done = subprocess.run([binary, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
