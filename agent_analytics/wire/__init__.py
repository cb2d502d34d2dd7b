"""Talking to other processes: Prometheus' query API and remote write, counters written into the
past, serving HTTP with uvicorn, and waiting for a started server."""
