"""The dashboards as code: Grafana foundation SDK builders whose output is grafana/dashboards/*.json."""
