"""Stand-ins of the agents' model APIs, written from their documented wire formats, on a real
socket: Anthropic Messages (SSE), Gemini generateContent / streamGenerateContent (SSE), OpenAI
Responses (SSE, Codex) and OpenAI chat completions (SSE, the Copilot CLI's offline provider).

Every answer carries fixed usage, and every answered request is recorded: what the clients report
must equal what was answered here.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Usage of every answer, per API (the numbers of the recorded fixtures, so the two can be compared).
ANTHROPIC_USAGE = {
    "input_tokens": 2000,
    "output_tokens": 150,
    "cache_creation_input_tokens": 400,
    "cache_read_input_tokens": 8000,
    "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 100},
}
GEMINI_USAGE = {
    "promptTokenCount": 1000,
    "candidatesTokenCount": 50,
    "cachedContentTokenCount": 200,
    "thoughtsTokenCount": 30,
    "totalTokenCount": 1080,
}
RESPONSES_USAGE = {
    "input_tokens": 1000,
    "input_tokens_details": {"cached_tokens": 400},
    "output_tokens": 50,
    "output_tokens_details": {"reasoning_tokens": 20},
    "total_tokens": 1050,
}
CHAT_USAGE = {
    "prompt_tokens": 1234,
    "completion_tokens": 56,
    "total_tokens": 1290,
    "prompt_tokens_details": {"cached_tokens": 789},
    "completion_tokens_details": {"reasoning_tokens": 7},
}
TEXT = "Hello from the stand-in."


def unified_rate_limits(five_hour: tuple[float, int], seven_day: tuple[float, int]) -> dict[str, str]:
    """The unified rate-limit headers an answer to a plan-limited sign-in carries: per window the
    share used (0-1) and when the window resets (unix seconds)."""
    headers = {"anthropic-ratelimit-unified-status": "allowed"}
    for window, (utilization, reset) in (("5h", five_hour), ("7d", seven_day)):
        headers[f"anthropic-ratelimit-unified-{window}-utilization"] = repr(utilization)
        headers[f"anthropic-ratelimit-unified-{window}-reset"] = str(reset)
    return headers


def _sse(events: list[tuple[str | None, dict]]) -> bytes:
    out = []
    for name, data in events:
        if name:
            out.append(f"event: {name}\n")
        out.append(f"data: {json.dumps(data)}\n\n")
    return "".join(out).encode()


def anthropic_stream(model: str) -> bytes:
    start_usage = {k: v for k, v in ANTHROPIC_USAGE.items() if k != "output_tokens"} | {"output_tokens": 1}
    message = {
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    return _sse(
        [
            ("message_start", {"type": "message_start", "message": message}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": TEXT}},
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": ANTHROPIC_USAGE["output_tokens"]},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
    )


def anthropic_message(model: str) -> dict:
    return {
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": TEXT}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": ANTHROPIC_USAGE,
    }


def gemini_response(model: str) -> dict:
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": TEXT}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": GEMINI_USAGE,
        "modelVersion": model,
        "responseId": "standin-resp",
    }


def gemini_stream(model: str) -> bytes:
    first = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Hello "}]}, "index": 0}],
        "modelVersion": model,
        "responseId": "standin-resp",
    }
    last = gemini_response(model)
    last["candidates"][0]["content"]["parts"] = [{"text": TEXT.removeprefix("Hello ")}]
    return _sse([(None, first), (None, last)])


def responses_stream(model: str) -> bytes:
    item = {
        "type": "message",
        "id": "msg_standin",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": TEXT, "annotations": []}],
    }
    base = {"id": "resp_standin", "object": "response", "model": model, "output": []}
    return _sse(
        [
            ("response.created", {"type": "response.created", "response": {**base, "status": "in_progress"}}),
            ("response.in_progress", {"type": "response.in_progress", "response": {**base, "status": "in_progress"}}),
            (
                "response.output_item.added",
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {**item, "status": "in_progress", "content": []},
                },
            ),
            (
                "response.content_part.added",
                {
                    "type": "response.content_part.added",
                    "item_id": "msg_standin",
                    "output_index": 0,
                    "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []},
                },
            ),
            (
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "item_id": "msg_standin",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": TEXT,
                },
            ),
            (
                "response.output_text.done",
                {
                    "type": "response.output_text.done",
                    "item_id": "msg_standin",
                    "output_index": 0,
                    "content_index": 0,
                    "text": TEXT,
                },
            ),
            ("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": item}),
            (
                "response.completed",
                {
                    "type": "response.completed",
                    "response": {**base, "status": "completed", "output": [item], "usage": RESPONSES_USAGE},
                },
            ),
        ]
    )


def chat_stream(model: str) -> bytes:
    def chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> dict:
        body = {
            "id": "chatcmpl-standin",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if delta is not None else [],
        }
        if usage is not None:
            body["usage"] = usage
        return body

    events = [
        (None, chunk({"role": "assistant", "content": ""})),
        (None, chunk({"content": TEXT})),
        (None, chunk({}, "stop")),
        (None, chunk(None, usage=CHAT_USAGE)),
    ]
    return _sse(events) + b"data: [DONE]\n\n"


class ModelStandIn:
    """One HTTP server answering all four APIs; `answered` lists (api, model) of every answer.

    `answer_delay` seconds pass before each answer: a client session that long, as a slow model makes
    it; `answered_at` holds when each answer was sent (time.monotonic()).
    """

    def __init__(self, answer_delay: float = 0.0, anthropic_headers: dict[str, str] | None = None):
        self.answer_delay = answer_delay
        # sent with every Messages answer, e.g. the unified rate-limit headers (unified_rate_limits)
        self.anthropic_headers = dict(anthropic_headers or {})
        self.answered: list[tuple[str, str]] = []
        self.answered_at: list[float] = []
        self.requests: list[tuple[str, str, dict]] = []  # method, path, headers
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def count(self, api: str) -> int:
        with self.lock:
            return sum(1 for a, _ in self.answered if a == api)

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _body(self) -> dict:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    return json.loads(raw) if raw else {}
                except ValueError:
                    return {}

            def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _answer(self, api: str, model: str, body: bytes, content_type: str) -> None:
                time.sleep(standin.answer_delay)
                with standin.lock:
                    standin.answered.append((api, model))
                    standin.answered_at.append(time.monotonic())
                headers = standin.anthropic_headers if api == "anthropic" else None
                self._send(200, body, content_type, headers)

            def do_GET(self):  # noqa: N802 - http.server's naming
                with standin.lock:
                    standin.requests.append(("GET", self.path, dict(self.headers)))
                self._send(404, b'{"error":{"message":"not here"}}', "application/json")

            def do_HEAD(self):  # noqa: N802
                self._send(200, b"", "text/plain")

            def do_POST(self):  # noqa: N802
                request = self._body()
                path = self.path.split("?", 1)[0]
                with standin.lock:
                    standin.requests.append(("POST", self.path, dict(self.headers)))
                model = str(request.get("model", ""))
                if path == "/v1/messages":
                    if request.get("stream"):
                        return self._answer("anthropic", model, anthropic_stream(model), "text/event-stream")
                    return self._answer(
                        "anthropic", model, json.dumps(anthropic_message(model)).encode(), "application/json"
                    )
                if path == "/v1/messages/count_tokens":
                    return self._send(200, b'{"input_tokens": 2000}', "application/json")
                if ":streamGenerateContent" in path or ":generateContent" in path:
                    model = path.rsplit("/", 1)[-1].split(":", 1)[0]
                    if ":streamGenerateContent" in path:
                        return self._answer("gemini", model, gemini_stream(model), "text/event-stream")
                    return self._answer(
                        "gemini", model, json.dumps(gemini_response(model)).encode(), "application/json"
                    )
                if ":countTokens" in path:
                    return self._send(200, b'{"totalTokens": 1000}', "application/json")
                if path == "/v1/responses":
                    return self._answer("responses", model, responses_stream(model), "text/event-stream")
                if path == "/v1/chat/completions":
                    return self._answer("chat", model, chat_stream(model), "text/event-stream")
                self._send(404, b'{"error":{"message":"not here"}}', "application/json")

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self) -> ModelStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
