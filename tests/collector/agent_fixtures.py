"""The recorded sessions of each agent (tests/fixtures/<agent>/, see each README) and how to send
them to a collector as the client did: OTLP/HTTP bodies as recorded (JSON chunked, without
Content-Length, as Gemini CLI sends it), gRPC sessions over gRPC."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import MetricsServiceStub

from tests.support import loopback

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CLAUDE_2_1_332 = FIXTURES / "claude-code" / "v2.1.332"
GEMINI = FIXTURES / "gemini-cli"
CODEX = FIXTURES / "codex"
COPILOT = FIXTURES / "copilot-cli"

# Ground truth of the Codex sessions (codex/README.md, "Ground truth"): the stand-in's usage per turn.
CODEX_TOKENS = {
    "session-plain": {"input": 1000, "cached_input": 400, "cache_write_input": 0, "output": 50,
                      "reasoning_output": 20, "total": 1050},
    "session-tools": {"input": 4500, "cached_input": 1800, "cache_write_input": 0, "output": 100,
                      "reasoning_output": 15, "total": 4600},
}  # fmt: skip
CODEX_TOKENS["session-tools-json"] = CODEX_TOKENS["session-tools"]
CODEX_REQUESTS = {"session-plain": 1, "session-tools": 2, "session-tools-json": 2}
CODEX_TOOL_CALLS = {"session-plain": 0, "session-tools": 1, "session-tools-json": 1}
# Claude Code 2.1.332 (claude-code/v2.1.332/README.md): 5 requests of input 2000, output 150,
# cache creation 400, cache read 8000; cost_usd of the api_request events adds up to 0.073.
CLAUDE_TOKENS = {"input": 10000, "output": 750, "cacheCreation": 2000, "cacheRead": 40000}
CLAUDE_COST = 0.073

# Identifiers that change with every session, install or process: never a label.
PER_SESSION_LABELS = {
    "session_id",
    "installation_id",
    "prompt_id",
    "conversation_id",
    "gen_ai_conversation_id",
    "user_account_uuid",
    "service_instance_id",
    "routing_reasoning",
    "cpu_usage_user",
    "cpu_usage_system",
    "server_port",
}


def session_files(folder: Path, session: str) -> list[Path]:
    """The metrics and logs bodies of one session, in the order the client exported them."""
    names = [
        p for p in folder.iterdir() if p.name.startswith(session + ".") and (".metrics" in p.name or ".logs" in p.name)
    ]
    return sorted(names, key=lambda p: (p.name.split(".")[-2] if p.name.count(".") > 2 else "0", p.name))


def sessions(folder: Path) -> list[str]:
    return sorted({p.name.split(".")[0] for p in folder.glob("session-*") if ".metrics" in p.name})


def signal_of(path: Path) -> str:
    return "metrics" if ".metrics" in path.name else "logs"


def message(path: Path):
    """The recorded body as an export request (protobuf bodies only)."""
    request_type = ExportMetricsServiceRequest if signal_of(path) == "metrics" else ExportLogsServiceRequest
    return request_type.FromString(path.read_bytes())


def _chunks(body: bytes, size: int = 4096) -> Iterator[bytes]:
    for i in range(0, len(body), size):
        yield body[i : i + size]


def post(base: str, signal: str, body: bytes, json_body: bool, headers: dict | None = None) -> httpx.Response:
    """POST one body; JSON goes chunked without Content-Length, as Gemini CLI sends it."""
    headers = {"Content-Type": "application/json" if json_body else "application/x-protobuf", **(headers or {})}
    content = _chunks(body) if json_body else body
    response = loopback.post(f"{base}/v1/{signal}", content=content, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response


def send_session(service, folder: Path, session: str, rewrite=None, headers: dict | None = None) -> None:
    """Replay one recorded session; `rewrite(body, is_json, signal) -> body` may alter each body."""
    base = service.endpoints["otlp_http"]
    grpc_session = session.endswith("-grpc")
    channel = grpc.insecure_channel(service.endpoints["otlp_grpc"]) if grpc_session else None
    try:
        for path in session_files(folder, session):
            body = path.read_bytes()
            is_json = path.suffix == ".json"
            if rewrite:
                body = rewrite(body, is_json, signal_of(path))
            if channel is not None:
                request = (ExportMetricsServiceRequest if signal_of(path) == "metrics" else ExportLogsServiceRequest)()
                request.ParseFromString(body)
                stub = MetricsServiceStub(channel) if signal_of(path) == "metrics" else LogsServiceStub(channel)
                stub.Export(request, timeout=10)
            else:
                post(base, signal_of(path), body, is_json, headers)
    finally:
        if channel is not None:
            channel.close()


def gemini_truth(session: str) -> dict:
    return json.loads((GEMINI / "ground-truth.json").read_text())["sessions"][session]["totals"]


def copilot_truth(session: str) -> dict[str, int]:
    """Tokens of a Copilot CLI session from what the stand-in answered: its fixed usage times the
    chat calls that succeeded (the error session's only call got HTTP 400)."""
    truth = json.loads((COPILOT / "ground-truth.json").read_text())
    usage = truth["_stand_in"]["usage_per_chat_call"]
    run = truth[session.removeprefix("session-")]
    calls = 0 if run["exit_code"] else len(run["provider_requests"])
    return {
        "input": calls * usage["prompt_tokens"],
        "cache_read": calls * usage["prompt_tokens_details"]["cached_tokens"],
        "output": calls * usage["completion_tokens"],
        "reasoning": calls * usage["completion_tokens_details"]["reasoning_tokens"],
        "chat_calls": len(run["provider_requests"]),
    }


# Keys whose values name one session, install or process in the recorded bodies.
_IDENTITY_KEYS = {"session.id", "installation.id", "conversation.id", "service.instance.id", "prompt_id"}


class IdentityRewriter:
    """Gives every session, install and process id of a replayed body a new value (one new value
    per old value, consistent across the bodies of one replay): the same session, run again by
    another process on another install."""

    def __init__(self):
        self.mapping: dict[str, str] = {}

    def _new(self, old: str) -> str:
        return self.mapping.setdefault(old, str(uuid.uuid4()))

    def _walk(self, attributes) -> None:
        for kv in attributes:
            if kv.key in _IDENTITY_KEYS and kv.value.WhichOneof("value") == "string_value":
                kv.value.string_value = self._new(kv.value.string_value)

    def __call__(self, body: bytes, is_json: bool, signal: str) -> bytes:
        if is_json:
            data = json.loads(body)
            self._walk_json(data)
            return json.dumps(data).encode()
        if signal == "metrics":
            request = ExportMetricsServiceRequest.FromString(body)
            for rm in request.resource_metrics:
                self._walk(rm.resource.attributes)
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        for point in getattr(metric, metric.WhichOneof("data")).data_points:
                            self._walk(point.attributes)
        else:
            request = ExportLogsServiceRequest.FromString(body)
            for rl in request.resource_logs:
                self._walk(rl.resource.attributes)
                for sl in rl.scope_logs:
                    for record in sl.log_records:
                        self._walk(record.attributes)
        return request.SerializeToString()

    def _walk_json(self, node) -> None:
        if isinstance(node, dict):
            if node.get("key") in _IDENTITY_KEYS and isinstance(node.get("value"), dict):
                value = node["value"]
                if isinstance(value.get("stringValue"), str):
                    value["stringValue"] = self._new(value["stringValue"])
            for child in node.values():
                self._walk_json(child)
        elif isinstance(node, list):
            for child in node:
                self._walk_json(child)
