"""The ports of the one-machine stack: their defaults, their `up` flags and whose each is (a
table of its own, so the command line reads it without loading the config models)."""

DEFAULT_PORTS = {
    "otlp_grpc": 4317,
    "otlp_http": 4318,
    "collector_metrics": 8889,
    "exporter": 9465,
    "prometheus": 9090,
    "loki": 3100,
    "grafana": 3000,
    "alertmanager": 9093,
}
PORT_FLAGS = {name: "--" + name.replace("_", "-") + "-port" for name in DEFAULT_PORTS}
PORT_OWNERS = {
    "otlp_grpc": "collector OTLP/gRPC",
    "otlp_http": "collector OTLP/HTTP",
    "collector_metrics": "collector /metrics",
    "exporter": "exporter",
    "prometheus": "Prometheus",
    "loki": "Loki",
    "grafana": "Grafana",
    "alertmanager": "Alertmanager",
}
