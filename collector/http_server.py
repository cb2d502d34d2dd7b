"""OTLP/HTTP receiver and the /metrics endpoint, as two minimal ASGI apps served by uvicorn.

Plain ASGI rather than a framework: the request path is short and hot, and the OTLP/HTTP
contract (paths, content types, status codes) is small enough to spell out here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from prometheus_client import CollectorRegistry, make_asgi_app

from agent_analytics.wire.http_requests import BodyTooLarge, read_body

from . import otlp_codec
from .otlp_codec import RequestError
from .receiver import Receiver

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

# Requests handled at once (each mostly waits for the log sync it shares with the others).
EXPORT_THREADS = 32

SIGNAL_PATHS = {"/v1/metrics": "metrics", "/v1/logs": "logs", "/v1/traces": "traces"}


async def _respond(send: Send, status: int, body: bytes, content_type: str, extra: list | None = None) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


class OtlpHttpApp:
    def __init__(self, receiver: Receiver):
        self.receiver = receiver
        # export() waits until the request is on disk: off the event loop, so that concurrent
        # requests share one write-ahead log sync instead of queueing behind each other
        self._pool = ThreadPoolExecutor(max_workers=EXPORT_THREADS, thread_name_prefix="aa-http-export")

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    async def _read_body(self, receive: Receive, headers: dict[bytes, bytes]) -> bytes:
        async def chunks():
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ConnectionError("client went away")
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return

        limit = self.receiver.max_request_bytes
        declared = headers.get(b"content-length")
        try:
            return await read_body(chunks(), declared.decode("latin-1") if declared else None, limit)
        except BodyTooLarge:
            raise otlp_codec.too_large(limit) from None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # uvicorn runs these apps with lifespan off
            return
        signal = SIGNAL_PATHS.get(scope["path"])
        if signal is None:
            return await _respond(
                send, 404, b"not found: OTLP paths are /v1/metrics, /v1/logs, /v1/traces\n", "text/plain"
            )
        if scope["method"] != "POST":
            return await _respond(send, 405, b"use POST\n", "text/plain", [(b"allow", b"POST")])
        headers = dict(scope["headers"])
        kind = otlp_codec.PROTOBUF
        try:
            self.receiver.authorize(headers.get(b"authorization", b"").decode("latin-1") or None)
            kind = otlp_codec.media_type(headers.get(b"content-type", b"").decode("latin-1"))
            body = await self._read_body(receive, headers)
            encoding = headers.get(b"content-encoding", b"").decode("latin-1")
            body = otlp_codec.decompress(body, encoding, self.receiver.max_request_bytes)

            def header(name: str) -> str | None:
                value = headers.get(name.encode())
                return value.decode("utf-8", "replace") if value else None

            loop = asyncio.get_running_loop()
            response = await loop.run_in_executor(self._pool, self.receiver.export, signal, body, kind, header)
        except RequestError as e:
            self.receiver.reject(e)
            extra = [(b"www-authenticate", b"Bearer")] if e.http_status == 401 else None
            return await _respond(send, e.http_status, otlp_codec.encode_error(e, kind), kind, extra)
        except ConnectionError:
            return
        except Exception:  # a bug must cost one request, never the receiver
            log.exception("OTLP/HTTP %s request failed", signal)
            error = RequestError(500, "internal", "internal error; see the collector log")
            self.receiver.reject(error)
            return await _respond(send, 500, otlp_codec.encode_error(error, kind), kind)
        await _respond(send, 200, response, kind)


class MetricsApp:
    """/metrics (prometheus_client's ASGI app: text format or OpenMetrics, gzip if accepted) and /healthz."""

    def __init__(self, registry: CollectorRegistry):
        self.metrics = make_asgi_app(registry)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # uvicorn runs these apps with lifespan off
            return
        path = scope["path"]
        if path == "/metrics":
            return await self.metrics(scope, receive, send)
        if path in ("/healthz", "/-/healthy", "/-/ready"):
            return await _respond(send, 200, b"ok\n", "text/plain")
        return await _respond(send, 404, b"not found: try /metrics or /healthz\n", "text/plain")
