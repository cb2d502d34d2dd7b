"""The current releases of the real agent CLIs (installed by `make real-clients`), each run offline
against the model stand-in and configured as `init` configures a workstation, send their telemetry
through the embedded collector: the series equal what the stand-in answered (and, for Claude Code,
the client's own cost_usd), carry the developer `init` named, and no prompt text is forwarded."""

import json
import math
import time
from pathlib import Path

import pytest

from agent_analytics.workstation.config import Workstation
from tests.collector.test_agents_replay import assert_no_per_session_labels, total
from tests.real_clients import clients
from tests.support import loopback
from tests.support import model_standins as standin
from tests.support.scrape import scrape

DEVELOPER = "ana@example.com"
TEAM = "payments"


def workstation_config(collector) -> Workstation:
    return Workstation(endpoint=collector.endpoints["otlp_http"], developer_id=DEVELOPER, team_id=TEAM)


def wait_for(collector, name: str, want: float, timeout: float = 20.0, **labels) -> dict:
    """The scrape once `name` adds up to `want` (clients export at exit, some asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(collector).series()
        if total(samples, name, **labels) == want or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


def forwarded_events(collector) -> list[dict]:
    collector.events.stop()
    path = collector.config.events_dir / "events.ndjson"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def report(record_property, package: str) -> None:
    record_property("client_version", f"{package}@{clients.version(package)}")


def test_claude_code(collector, model, workstation, record_property):
    report(record_property, "@anthropic-ai/claude-code")
    home, repo = workstation("claude")
    clients.run(clients.claude(workstation_config(collector), home, repo, model.url))
    answered = model.count("anthropic")
    assert answered >= 1
    usage = standin.ANTHROPIC_USAGE
    samples = wait_for(collector, "claude_code_token_usage_tokens_total", answered * usage["input_tokens"],
                       type="input")  # fmt: skip
    expected = {
        "input": usage["input_tokens"],
        "output": usage["output_tokens"],
        "cacheRead": usage["cache_read_input_tokens"],
        "cacheCreation": usage["cache_creation_input_tokens"],
    }
    for kind, tokens in expected.items():
        assert total(samples, "claude_code_token_usage_tokens_total", type=kind, developer_id=DEVELOPER,
                     team_id=TEAM) == answered * tokens, kind  # fmt: skip
    assert_no_per_session_labels(samples)

    events = forwarded_events(collector)
    requests = [e["attributes"] for e in events if e["attributes"].get("event.name") == "api_request"]
    assert len(requests) == answered
    # the client's own cost is the ground truth of the cost series
    cost = math.fsum(r["cost_usd"] for r in requests)
    assert cost > 0
    assert math.isclose(total(samples, "claude_code_cost_usage_USD_total"), cost, abs_tol=1e-9)
    split = usage["cache_creation"]
    assert sum(r["cache_creation_5m_tokens"] for r in requests) == answered * split["ephemeral_5m_input_tokens"]
    assert sum(r["cache_creation_1h_tokens"] for r in requests) == answered * split["ephemeral_1h_input_tokens"]
    assert all(r["ttft_ms"] >= 0 for r in requests)
    # OTEL_LOG_USER_PROMPTS=1 on the client: the text is sent (in prompt_text) and dropped here
    prompts = [e["attributes"] for e in events if e["attributes"].get("event.name") == "user_prompt"]
    assert prompts and all("prompt_text" not in p and "prompt" not in p for p in prompts)
    assert clients.PROMPT not in json.dumps(events)


def test_gemini_cli(collector, model, workstation, record_property):
    report(record_property, "@google/gemini-cli")
    home, repo = workstation("gemini")
    clients.run(clients.gemini(workstation_config(collector), home, repo, model.url))
    answered = model.count("gemini")
    assert answered >= 1
    usage = standin.GEMINI_USAGE
    samples = wait_for(collector, "gemini_cli_token_usage_total", answered * usage["promptTokenCount"], type="input")
    expected = {
        "input": usage["promptTokenCount"],
        "output": usage["candidatesTokenCount"],
        "cache": usage["cachedContentTokenCount"],
        "thought": usage["thoughtsTokenCount"],
    }
    for kind, tokens in expected.items():
        assert total(samples, "gemini_cli_token_usage_total", type=kind) == answered * tokens, kind
    assert total(samples, "gemini_cli_api_request_count_total", error_type=None) == answered
    assert_no_per_session_labels(samples)
    events = forwarded_events(collector)
    assert any(e["attributes"].get("event.name") == "gemini_cli.api_response" for e in events)
    assert clients.PROMPT not in json.dumps(events)


def test_codex(collector, model, workstation, record_property):
    report(record_property, "@openai/codex")
    home, repo = workstation("codex")
    clients.run(clients.codex_cli(workstation_config(collector), home, repo, model.url))
    answered = model.count("responses")
    assert answered >= 1
    usage = standin.RESPONSES_USAGE
    samples = wait_for(collector, "codex_turn_token_usage_sum", answered * usage["input_tokens"], token_type="input")
    expected = {
        "input": usage["input_tokens"],
        "cached_input": usage["input_tokens_details"]["cached_tokens"],
        "output": usage["output_tokens"],
        "reasoning_output": usage["output_tokens_details"]["reasoning_tokens"],
        "total": usage["total_tokens"],
    }
    for kind, tokens in expected.items():
        assert total(samples, "codex_turn_token_usage_sum", token_type=kind) == answered * tokens, kind
    assert total(samples, "codex_api_request_total", success="true") == answered
    assert_no_per_session_labels(samples)
    events = [e for e in forwarded_events(collector) if e["service_name"] == "codex_exec"]
    assert events and all(not e["time"].startswith("1970") for e in events)  # observed time, not 0
    assert clients.PROMPT not in json.dumps(events)


def test_copilot_cli(collector, model, workstation, record_property):
    report(record_property, "@github/copilot")
    home, repo = workstation("copilot")
    clients.run(clients.copilot(workstation_config(collector), home, repo, model.url))
    answered = model.count("chat")
    assert answered >= 1
    usage = standin.CHAT_USAGE
    name = "gen_ai_client_inference_usage_input_tokens_total"
    samples = wait_for(collector, name, answered * usage["prompt_tokens"], developer_id=DEVELOPER)
    prefix = "gen_ai_client_inference_usage_"
    expected = {
        "input_tokens_total": usage["prompt_tokens"],
        "cache_read_input_tokens_total": usage["prompt_tokens_details"]["cached_tokens"],
        "output_tokens_total": usage["completion_tokens"],
        "reasoning_output_tokens_total": usage["completion_tokens_details"]["reasoning_tokens"],
    }
    for suffix, tokens in expected.items():
        assert total(samples, prefix + suffix, developer_id=DEVELOPER, team_id=TEAM) == answered * tokens, suffix
    assert total(samples, "gen_ai_client_inference_duration_seconds_count") == answered
    assert_no_per_session_labels(samples)


MANAGED = Path("/etc/claude-code/managed-settings.json")


@pytest.fixture
def managed_settings():
    """Write /etc/claude-code/managed-settings.json for one test (Claude Code reads it from there
    on Linux, with no override of the path) and put back what was there."""
    before = MANAGED.read_bytes() if MANAGED.exists() else None
    created_dir = not MANAGED.parent.exists()
    try:
        MANAGED.parent.mkdir(parents=True, exist_ok=True)
    except PermissionError:
        pytest.fail(f"cannot write {MANAGED}: run the real-client checks as root (CI does) or with sudo")

    def write(settings: dict) -> None:
        MANAGED.write_text(json.dumps(settings))

    yield write
    if before is None:
        MANAGED.unlink(missing_ok=True)
        if created_dir:
            MANAGED.parent.rmdir()
    else:
        MANAGED.write_bytes(before)


def claude_point_labels(collector, model, workstation, managed: dict, managed_settings) -> dict[str, str]:
    managed_settings(managed)
    home, repo = workstation("claude-managed")
    clients.run(clients.claude(workstation_config(collector), home, repo, model.url))
    samples = wait_for(collector, "claude_code_token_usage_tokens_total",
                       model.count("anthropic") * standin.ANTHROPIC_USAGE["input_tokens"], type="input")  # fmt: skip
    (labels,) = {labels for name, labels in samples if name == "claude_code_token_usage_tokens_total"
                 and ("type", "input") in labels}  # fmt: skip
    return dict(labels)


def test_claude_code_managed_env_wins_per_key(collector, model, workstation, managed_settings):
    """managed-settings.json `env` replaces the user's value of the same key, whole; the user's
    other keys stay."""
    labels = claude_point_labels(
        collector, model, workstation, {"env": {"OTEL_RESOURCE_ATTRIBUTES": "team.id=admin-team,org=acme"}},
        managed_settings,
    )  # fmt: skip
    assert labels["team_id"] == "admin-team" and labels["org"] == "acme"
    assert "developer_id" not in labels  # the user's OTEL_RESOURCE_ATTRIBUTES is gone entirely


def test_claude_code_init_snippet_keeps_each_users_identity(collector, model, workstation, managed_settings):
    """The managed snippet `init` prints, deployed org-wide, beside a user's own `init`: the
    telemetry carries the user's developer id and team, and the admin's org-wide keys apply."""
    from agent_analytics.cli.commands.init import managed_snippet

    ws = workstation_config(collector)
    snippet = managed_snippet(Workstation(endpoint=ws.endpoint, team_id="admin-team"))
    # an org-wide switch of the admin's that the user's own settings do not set
    snippet["env"]["OTEL_METRICS_INCLUDE_VERSION"] = "true"
    labels = claude_point_labels(collector, model, workstation, snippet, managed_settings)
    assert labels["developer_id"] == DEVELOPER and labels["team_id"] == TEAM
    assert labels["app_version"] == clients.version("@anthropic-ai/claude-code")
    assert snippet["env"]["OTEL_METRICS_INCLUDE_SESSION_ID"] == "false" and "session_id" not in labels


def test_stand_in_speaks_each_api():
    """The stand-in itself: each API's answer parses as its format says and carries the usage."""
    with standin.ModelStandIn() as m:
        sse = loopback.post(f"{m.url}/v1/messages", json={"model": "x", "stream": True}).text
        assert '"output_tokens": 150' in sse and sse.rstrip().endswith('data: {"type": "message_stop"}')
        gem = loopback.post(f"{m.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse").text
        assert [json.loads(line[6:]).get("usageMetadata") for line in gem.splitlines() if line][-1] == (
            standin.GEMINI_USAGE
        )
        chat = loopback.post(f"{m.url}/v1/chat/completions", json={"model": "gpt-4.1"}).text
        assert chat.rstrip().endswith("data: [DONE]")
        assert m.answered == [("anthropic", "x"), ("gemini", "gemini-2.5-flash"), ("chat", "gpt-4.1")]


@pytest.mark.parametrize(
    ("agent", "package"),
    [("claude-code", "@anthropic-ai/claude-code"), ("gemini-cli", "@google/gemini-cli"), ("codex", "@openai/codex"),
     ("copilot-cli", "@github/copilot")],
)  # fmt: skip
def test_doctor_reads_each_installed_release(agent, package):
    from agent_analytics.workstation import agent_versions

    version = agent_versions.installed(agent, path=str(clients.BIN))
    assert version == clients.version(package)
    assert not agent_versions.older_than_recorded(agent, version)
