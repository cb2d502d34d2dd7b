"""Every recorded session of the current agents (Claude Code 2.1.332, Gemini CLI 0.61, Codex CLI
0.171, Copilot CLI 1.0.102), replayed into the embedded collector as the client sent it: the
series hold each session's tokens by type exactly as the fixture's ground truth says, carry no
per-session, per-install or free-text label, and the forwarded events hold no content."""

import datetime as dt
import json
import math

import httpx
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from tests.collector.agent_fixtures import (
    CLAUDE_2_1_332,
    CLAUDE_COST,
    CLAUDE_TOKENS,
    CODEX,
    CODEX_REQUESTS,
    CODEX_TOKENS,
    CODEX_TOOL_CALLS,
    COPILOT,
    GEMINI,
    PER_SESSION_LABELS,
    copilot_truth,
    gemini_truth,
    message,
    post,
    send_session,
    session_files,
    sessions,
)
from tests.support.scrape import scrape


def total(samples: dict, name: str, **labels) -> float:
    """The sum of every series of `name` whose labels include `labels` (a label given as None
    must be absent)."""
    out = 0.0
    for (sample, have), value in samples.items():
        have = dict(have)
        if sample == name and all(have.get(k) == v for k, v in labels.items()):
            out += value
    return out


def assert_no_per_session_labels(samples: dict) -> None:
    used = {key for (_, labels) in samples for key, _ in labels}
    assert not used & PER_SESSION_LABELS, used & PER_SESSION_LABELS


def events(service) -> list[dict]:
    service.events.stop()
    path = service.config.events_dir / "events.ndjson"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# --- tokens by type per session ------------------------------------------------------------------


def test_claude_code_2_1_332_tokens_and_cost(start_collector):
    service = start_collector()
    send_session(service, CLAUDE_2_1_332, "session-tools")
    samples = scrape(service).series()
    for kind, tokens in CLAUDE_TOKENS.items():
        assert total(samples, "claude_code_token_usage_tokens_total", type=kind) == tokens
    assert math.isclose(total(samples, "claude_code_cost_usage_USD_total"), CLAUDE_COST, abs_tol=1e-12)
    # the new point attributes are labels like the others; the model keeps its name
    assert total(samples, "claude_code_token_usage_tokens_total", anthropic_provider="firstParty") == sum(
        CLAUDE_TOKENS.values()
    )
    assert_no_per_session_labels(samples)
    recorded = [e for e in events(service) if e["attributes"].get("event.name") == "api_request"]
    assert math.isclose(sum(e["attributes"]["cost_usd"] for e in recorded), CLAUDE_COST, abs_tol=1e-12)
    assert sum(e["attributes"]["cache_creation_tokens"] for e in recorded) == CLAUDE_TOKENS["cacheCreation"]
    # the recording's stand-in sent no 5m/1h breakdown: both parts arrive, as 0
    assert {(e["attributes"]["cache_creation_5m_tokens"], e["attributes"]["cache_creation_1h_tokens"])
            for e in recorded} == {(0, 0)}  # fmt: skip
    assert all(isinstance(e["attributes"]["ttft_ms"], int) for e in recorded)


@pytest.mark.parametrize("session", sessions(GEMINI))
def test_gemini_cli_tokens_requests_and_tools_per_session(session, start_collector):
    service = start_collector()
    send_session(service, GEMINI, session)
    samples = scrape(service).series()
    truth = gemini_truth(session)
    for kind, tokens in truth["tokens_by_type"].items():
        assert total(samples, "gemini_cli_token_usage_total", type=kind) == tokens, kind
    # the metric counts a failed request twice (once with error_type, once without): the points
    # without error_type count each request once
    assert (
        total(samples, "gemini_cli_api_request_count_total") == truth["gemini_cli.api.request.count_total_in_metrics"]
    )
    assert total(samples, "gemini_cli_api_request_count_total", error_type=None) == truth["model_requests"]
    for tool, calls in truth["tool_calls"].items():
        assert total(samples, "gemini_cli_tool_call_count_total", function_name=tool, success="true") == calls
    assert total(samples, "gemini_cli_session_count_total") == 1
    assert_no_per_session_labels(samples)
    requests = [e for e in events(service) if e["attributes"].get("event.name") == "gemini_cli.api_response"]
    assert len(requests) == truth["model_requests"] - (1 if session == "session-error" else 0)


@pytest.mark.parametrize("session", sessions(CODEX))
def test_codex_tokens_requests_and_tools_per_session(session, start_collector):
    service = start_collector()
    send_session(service, CODEX, session)
    samples = scrape(service).series()
    for kind, tokens in CODEX_TOKENS[session].items():
        assert total(samples, "codex_turn_token_usage_sum", token_type=kind) == tokens, kind
    assert total(samples, "codex_api_request_total", success="true") == CODEX_REQUESTS[session]
    assert total(samples, "codex_tool_call_total", success="true") == CODEX_TOOL_CALLS[session]
    assert total(samples, "codex_thread_started_total") == 1
    assert total(samples, "codex_turn_ttft_duration_ms_milliseconds_count") == 1
    assert_no_per_session_labels(samples)
    # the events carry the same tokens, on the one response.completed of each request that has them
    completed = [
        e["attributes"]
        for e in events(service)
        if e["attributes"].get("event.name") == "codex.sse_event" and "input_token_count" in e["attributes"]
    ]
    assert len(completed) == CODEX_REQUESTS[session]
    assert sum(int(a["input_token_count"]) for a in completed) == CODEX_TOKENS[session]["input"]
    assert sum(int(a["cached_token_count"]) for a in completed) == CODEX_TOKENS[session]["cached_input"]


@pytest.mark.parametrize("session", sessions(COPILOT))
def test_copilot_cli_tokens_requests_and_tools_per_session(session, start_collector):
    service = start_collector()
    send_session(service, COPILOT, session)
    samples = scrape(service).series()
    truth = copilot_truth(session)
    prefix = "gen_ai_client_inference_usage_"
    assert total(samples, prefix + "input_tokens_total") == truth["input"]
    assert total(samples, prefix + "cache_read_input_tokens_total") == truth["cache_read"]
    assert total(samples, prefix + "cache_write_input_tokens_total") == 0
    assert total(samples, prefix + "output_tokens_total") == truth["output"]
    assert total(samples, prefix + "reasoning_output_tokens_total") == truth["reasoning"]
    assert total(samples, "gen_ai_client_inference_duration_seconds_count") == truth["chat_calls"]
    tools = 2 if session.startswith("session-tools") else 0
    assert total(samples, "github_copilot_tool_call_count_total", success="true") == tools
    assert total(samples, "gen_ai_client_inference_time_to_first_chunk_seconds_count") == (
        0 if session == "session-error" else truth["chat_calls"]
    )
    assert_no_per_session_labels(samples)


def test_copilot_cli_json_with_newer_proto_fields_counts_tokens_per_developer(start_collector):
    """The CLI's default export (OTLP/JSON with resource.entityRefs and metric.metadata) is taken;
    the developer named in OTEL_RESOURCE_ATTRIBUTES (what init sets) labels the tokens."""
    body = (COPILOT / "session-tools-json.metrics.json").read_bytes()
    assert b'"entityRefs"' in body and b'"metadata"' in body
    service = start_collector()
    for developer in ("ana", "ben"):
        data = json.loads(body)
        for rm in data["resourceMetrics"]:
            rm["resource"]["attributes"] += [
                {"key": "developer.id", "value": {"stringValue": developer}},
                {"key": "team.id", "value": {"stringValue": "payments"}},
            ]
        post(service.endpoints["otlp_http"], "metrics", json.dumps(data).encode(), json_body=True)
    samples = scrape(service).series()
    truth = copilot_truth("session-tools-json")
    for developer in ("ana", "ben"):
        assert total(samples, "gen_ai_client_inference_usage_input_tokens_total", developer_id=developer,
                     team_id="payments") == truth["input"]  # fmt: skip
        assert (
            total(samples, "gen_ai_client_inference_usage_output_tokens_total", developer_id=developer)
            == (truth["output"])
        )
    assert total(samples, "gen_ai_client_inference_usage_input_tokens_total", developer_id=None) == 0


# --- content never forwarded unless the operator opts in ------------------------------------------

# What each agent's recorded events carry of what a person typed or a model answered.
CONTENT = {
    "claude-code": (CLAUDE_2_1_332, "session-tools", ["prompt_text", "prompt", "response"]),
    "gemini-cli": (GEMINI, "session-tools", ["prompt", "request_text", "response_text", "function_args",
                                             "gen_ai.system_instructions"]),
    "codex": (CODEX, "session-tools", ["prompt", "arguments", "output"]),
}  # fmt: skip
# The prompts as typed (the fixtures' READMEs), and a text Claude Code sends in prompt_text when
# the user sets OTEL_LOG_USER_PROMPTS=1.
TYPED = {
    "claude-code": "write a module that parses the invoice file",
    "gemini-cli": "TOOLTEST: read hello.txt",
    "codex": "List the files in this repository",
}


def with_claude_prompt_text(body: bytes, is_json: bool, signal: str) -> bytes:
    """The recording as Claude Code 2.1.332 sends it with OTEL_LOG_USER_PROMPTS=1: the typed text
    in prompt_text instead of <REDACTED>."""
    if signal != "logs":
        return body
    request = ExportLogsServiceRequest.FromString(body)
    for rl in request.resource_logs:
        for sl in rl.scope_logs:
            for record in sl.log_records:
                for kv in record.attributes:
                    if kv.key == "prompt_text":
                        kv.value.string_value = TYPED["claude-code"]
    return request.SerializeToString()


@pytest.mark.parametrize("agent", sorted(CONTENT))
@pytest.mark.parametrize("log_prompts", [False, True])
def test_content_attributes_are_removed_unless_opted_in(agent, log_prompts, start_collector):
    folder, session, keys = CONTENT[agent]
    service = start_collector(log_prompts=log_prompts)
    send_session(service, folder, session, rewrite=with_claude_prompt_text if agent == "claude-code" else None)
    forwarded = events(service)
    assert forwarded
    seen = {key for e in forwarded for key in e["attributes"]} | {key for e in forwarded for key in e["resource"]}
    text = json.dumps(forwarded)
    if log_prompts:
        assert set(keys) <= seen
        assert TYPED[agent] in text
    else:
        assert not seen & set(keys), seen & set(keys)
        assert TYPED[agent] not in text
        assert "process.command_args" not in seen  # Gemini CLI's command line holds the -p prompt


def test_copilot_cli_content_in_traces_is_never_forwarded(start_collector):
    """The Copilot CLI has no logs: its content (with capture on) rides on spans, which the
    collector takes and drops."""
    service = start_collector()
    body = (COPILOT / "session-tools-content.traces.pb").read_bytes()
    assert b"gen_ai.input.messages" in body
    post(service.endpoints["otlp_http"], "traces", body, json_body=False)
    send_session(service, COPILOT, "session-tools-content")
    assert events(service) == []
    assert total(scrape(service).series(), "gen_ai_client_inference_usage_input_tokens_total") == 3702


# --- timestamps, encodings ------------------------------------------------------------------------


def test_codex_log_records_without_time_land_at_their_observed_time(start_collector):
    path = CODEX / "session-plain.logs.pb"
    records = [r for rl in message(path).resource_logs for sl in rl.scope_logs for r in sl.log_records]
    assert records and all(r.time_unix_nano == 0 and r.observed_time_unix_nano for r in records)
    service = start_collector()
    send_session(service, CODEX, "session-plain")
    forwarded = [e for e in events(service) if e["service_name"] == "codex_exec"]
    assert len(forwarded) == len(records)

    def iso(nanos: int) -> str:
        moment = dt.datetime.fromtimestamp(nanos / 1e9, tz=dt.UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    assert [e["time"] for e in forwarded] == [iso(r.observed_time_unix_nano) for r in records]
    assert all(e["time"].startswith("2026-12-01") for e in forwarded)


def test_gemini_cli_chunked_json_without_content_length_is_accepted(start_collector):
    service = start_collector()
    path = GEMINI / "session-plain.metrics.json"
    body = path.read_bytes()
    assert b'"value":{}' in b"".join(p.read_bytes() for p in session_files(GEMINI, "session-tools"))

    def chunks():
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    with httpx.Client() as client:
        request = client.build_request(
            "POST",
            f"{service.endpoints['otlp_http']}/v1/metrics",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert "content-length" not in request.headers and request.headers["transfer-encoding"] == "chunked"
        response = client.send(request)
    assert response.status_code == 200, response.text
    assert total(scrape(service).series(), "gemini_cli_token_usage_total", type="input") == 1000
