"""Prometheus configuration shipped with the package: prometheus.yml and the rule files `up` loads."""
