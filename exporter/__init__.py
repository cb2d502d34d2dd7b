"""Exporter: git commits and GitHub Copilot usage metrics as Prometheus series."""
