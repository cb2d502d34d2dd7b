"""OTLP/HTTP receiver and the /metrics endpoint, as two minimal ASGI apps served by uvicorn.

Plain ASGI rather than a framework: the request path is short and hot, and the OTLP/HTTP
contract (paths, content types, status codes) is small enough to spell out here.
"""

from __future__ import annotations

import asyncio
import functools
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

SIGNAL_PATHS = {"/v1/metrics": "metrics", "/v1/logs": "logs", "/v1/traces": "traces"}


async def _respond(send: Send, status: int, body: bytes, content_type: str, extra: list | None = None) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


def _answer_all(responses: list[Callable[[], bytes]]) -> list[tuple[bool, Any]]:
    """(True, response) or (False, error) of each staged request, in turn: the first to find
    its entries uncommitted leads one commit of everything staged; the others find theirs done."""
    out = []
    for response in responses:
        try:
            out.append((True, response()))
        except Exception as e:
            out.append((False, e))
    return out


class OtlpHttpApp:
    """Requests are decoded and staged on the event loop as they come. Once the loop has taken
    every request that was ready, the commit of each signal's requests goes to that signal's
    committer thread (one hand-off per group, not per request; the metric log and the event
    spool sync side by side) while the loop goes on with the next requests; the loop answers
    a group when it is durable."""

    def __init__(self, receiver: Receiver):
        self.receiver = receiver
        self._staged: dict[str, list[tuple[Callable[[], bytes], asyncio.Future]]] = {}
        self._committers = {
            signal: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"aa-http-{signal}")
            for signal in SIGNAL_PATHS.values()
        }

    def close(self) -> None:
        for committer in self._committers.values():
            committer.shutdown(wait=False)

    async def _durable(self, signal: str, response: Callable[[], bytes]) -> bytes:
        """The response of a staged request, once the commit after this turn of the loop ends."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._staged:
            # after the requests whose turn is already queued, so they join this group
            loop.call_soon(self._commit)
        self._staged.setdefault(signal, []).append((response, future))
        return await future

    def _commit(self) -> None:
        staged, self._staged = self._staged, {}
        loop = asyncio.get_running_loop()
        for signal, group in staged.items():
            done = loop.run_in_executor(self._committers[signal], _answer_all, [r for r, _ in group])
            done.add_done_callback(functools.partial(self._answer, group))

    @staticmethod
    def _answer(group: list[tuple[Callable[[], bytes], asyncio.Future]], done: asyncio.Future) -> None:
        for (_, future), (ok, value) in zip(group, done.result(), strict=True):
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

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

            response = await self._durable(signal, self.receiver.prepare(signal, body, kind, header))
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
