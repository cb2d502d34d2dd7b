"""Agent Analytics: spend, usage and output of AI coding assistants, Grafana-native."""

__version__ = "0.1.0"
