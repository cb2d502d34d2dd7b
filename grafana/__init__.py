"""Grafana dashboards and provisioning shipped with the package, for `up` and compose."""
