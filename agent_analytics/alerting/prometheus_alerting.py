"""The `alerting` section of a Prometheus configuration: where to send alerts, and the label that
links a budget alert to the Budgets dashboard of its team.

The link is a label Prometheus adds as it sends the alert (alert_relabel_configs), not an
annotation of the rule: the rules are the same files everywhere, while Grafana's external URL
belongs to each stack (`alerting.grafana_url` of `up --config`; prometheus/prometheus.yml for
compose).
"""

from __future__ import annotations

import re

from agent_analytics.vocabulary import facts

DASHBOARD_LABEL = "dashboard_url"


def dashboard_relabel(grafana_url: str) -> dict:
    """Budget alerts get DASHBOARD_LABEL: the Budgets dashboard under `grafana_url`, filtered to the team."""
    return {
        "source_labels": ["alertname", "team_id"],
        "regex": f"({'|'.join(map(re.escape, facts.BUDGET_ALERTS))});(.+)",
        "target_label": DASHBOARD_LABEL,
        "replacement": facts.budgets_dashboard_url(grafana_url, "${2}"),
    }


def alerting_section(alertmanagers: list[str], grafana_url: str) -> dict:
    """Send to the Alertmanagers at these host:port addresses."""
    return {
        "alert_relabel_configs": [dashboard_relabel(grafana_url)],
        "alertmanagers": [{"static_configs": [{"targets": alertmanagers}]}],
    }
