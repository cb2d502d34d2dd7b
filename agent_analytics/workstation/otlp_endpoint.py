"""What an agent's OTLP/HTTP endpoint must look like, checked before any settings are written.

The agents are set up with `http/protobuf`: the endpoint is the collector's OTLP/HTTP base URL,
to which the SDKs append `/v1/metrics` and `/v1/logs` themselves.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318


def _with(url: str, port: int | None = None, path: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if port is not None:
        host = parts.hostname or "127.0.0.1"
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path if path is None else path, "", ""))


def problem(url: str) -> str:
    """Why `url` cannot be an OTLP/HTTP endpoint, with the URL to use instead; "" when it can."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    signal_at = (path + "/").find("/v1/")
    if signal_at >= 0:
        return (
            f"{url} carries a signal path: the endpoint is the collector's base URL (the agents add"
            f" /v1/metrics and /v1/logs themselves): pass {_with(url, path=path[:signal_at])}"
        )
    try:
        port = parts.port
    except ValueError:
        return f"{url} has no valid port: pass e.g. http://collector.example.com:{OTLP_HTTP_PORT}"
    if port == OTLP_GRPC_PORT:
        return (
            f"{url} is the OTLP/gRPC port, but the agents are set up for OTLP/HTTP (http/protobuf):"
            f" pass the OTLP/HTTP port, {_with(url, port=OTLP_HTTP_PORT)}"
        )
    return ""
