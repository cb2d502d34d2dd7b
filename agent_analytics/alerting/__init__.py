"""Alertmanager for Agent Analytics: the operator's routing section (routing.py), the Alertmanager
configuration generated from it and the monitoring facts (alertmanager.py), and what Prometheus
needs to send its alerts there (prometheus_alerting.py)."""
