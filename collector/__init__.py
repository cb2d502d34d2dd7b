"""Embedded OTLP collector: OTLP in, Prometheus series and Loki events out."""
