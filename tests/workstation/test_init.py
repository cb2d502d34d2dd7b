"""`agent-analytics init` on a workstation that already has settings of its own."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from agent_analytics.workstation import config as workstation
from tests.support.workstation import cli, git, isolated_home

ENDPOINT = "http://collector.internal:4318"
CLAUDE_BEFORE = {
    "permissions": {"allow": ["Bash(npm test)"], "deny": ["Read(.env)"]},
    "model": "opus",
    "env": {"HTTPS_PROXY": "http://proxy:3128", "OTEL_RESOURCE_ATTRIBUTES": "cost_center=cc-42,department=rnd"},
}
GEMINI_BEFORE = {"theme": "Dracula", "telemetry": {"outfile": "/tmp/gemini.log", "logPrompts": True}}
CODEX_BEFORE = """# my codex settings
model = "o4-mini"  # the fast one
approval_policy = "on-request"

[mcp_servers.docs]
command = "docs-server"
args = ["--port", "7000"]
"""
FLAGS = [
    "--yes",
    "--endpoint",
    ENDPOINT,
    "--api-key",
    "s3cret",
    "--team",
    "payments",
    "--agents",
    "claude-code,gemini-cli,codex",
]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def receiver(tmp_path_factory) -> str:
    """The OTLP/HTTP endpoint of a running embedded collector: what the wizard's probe must find."""
    from agent_analytics.collector.config import load_config
    from agent_analytics.collector.service import CollectorService

    data = tmp_path_factory.mktemp("collector")
    service = CollectorService(load_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=data))
    service.start()
    yield service.endpoints["otlp_http"]
    service.stop()


def seed_foreign_settings(home: Path) -> None:
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text(json.dumps(CLAUDE_BEFORE))
    (home / ".gemini").mkdir()
    (home / ".gemini" / "settings.json").write_text(json.dumps(GEMINI_BEFORE))
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text(CODEX_BEFORE)


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under HOME with its bytes and mode (settings, config, hooks, .gitconfig)."""
    return {
        str(p.relative_to(home)): (p.read_bytes(), p.stat().st_mode)
        for p in sorted(home.rglob("*"))
        if p.is_file() and "state" not in p.parts
    }


def test_init_merges_into_foreign_settings_and_a_second_run_changes_no_byte(home):
    seed_foreign_settings(home)
    first = cli("init", *FLAGS)
    assert first.exit_code == 0, first.output
    before = snapshot(home)

    claude = json.loads((home / ".claude" / "settings.json").read_text())
    assert claude["permissions"] == CLAUDE_BEFORE["permissions"] and claude["model"] == "opus"
    assert claude["env"] == {
        "HTTPS_PROXY": "http://proxy:3128",
        "OTEL_RESOURCE_ATTRIBUTES": (
            "cost_center=cc-42,department=rnd,developer.id=ada.lovelace@example.com,team.id=payments"
        ),
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT,
        "OTEL_METRICS_INCLUDE_SESSION_ID": "false",
        "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer s3cret",
    }
    gemini = json.loads((home / ".gemini" / "settings.json").read_text())
    assert gemini == {
        "theme": "Dracula",
        "telemetry": {
            "outfile": "/tmp/gemini.log",
            "logPrompts": False,
            "enabled": True,
            "target": "local",
            "otlpEndpoint": ENDPOINT,
            "otlpProtocol": "http",
        },
    }
    codex_text = (home / ".codex" / "config.toml").read_text()
    assert codex_text.startswith(CODEX_BEFORE)  # comments, order and tables kept as written
    codex = tomlkit.parse(codex_text).unwrap()
    assert codex["otel"] == {
        "log_user_prompt": False,
        "exporter": {
            "otlp-http": {
                "endpoint": f"{ENDPOINT}/v1/logs",
                "protocol": "binary",
                "headers": {"Authorization": "Bearer s3cret"},
            }
        },
        "metrics_exporter": {
            "otlp-http": {
                "endpoint": f"{ENDPOINT}/v1/metrics",
                "protocol": "binary",
                "headers": {"Authorization": "Bearer s3cret"},
            }
        },
    }
    config = workstation.load()
    assert (config.endpoint, config.exporter_url, config.api_key) == (
        ENDPOINT,
        "http://collector.internal:9465",
        "s3cret",
    )
    assert (config.developer_id, config.team_id, config.agents) == (
        "ada.lovelace@example.com",
        "payments",
        ["claude-code", "gemini-cli", "codex"],
    )
    assert stat.S_IMODE(workstation.config_path().stat().st_mode) == 0o600  # it holds the key
    hook = workstation.managed_hooks_dir() / "post-commit"
    assert git(home, "config", "--global", "core.hooksPath").stdout.strip() == str(hook.parent)

    second = cli("init", *FLAGS, "--json")
    assert second.exit_code == 0, second.output
    assert snapshot(home) == before
    report = json.loads(second.stdout)
    assert report["config"]["changed"] is False
    assert {name: a["changed"] for name, a in report["agents"].items()} == {
        "claude-code": False,
        "gemini-cli": False,
        "codex": False,
    }
    assert report["hook"]["action"] == "unchanged"
    assert "s3cret" not in second.stdout  # the key is never echoed


def test_managed_settings_snippet_names_the_org_wide_paths(home):
    result = cli("init", *FLAGS)
    assert "/etc/claude-code/managed-settings.json" in result.stdout
    assert "/Library/Application Support/ClaudeCode/managed-settings.json" in result.stdout
    snippet = json.loads(cli("init", *FLAGS, "--json").stdout)["managed_settings"]["content"]
    # Managed env wins key by key over each user's: only keys that are the same for everyone.
    assert snippet == {
        "env": {
            "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT,
            "OTEL_METRICS_INCLUDE_SESSION_ID": "false",
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer <api-key>",
        }
    }
    printed = json.loads(result.stdout[result.stdout.index("{") : result.stdout.rindex("}") + 1])
    assert printed == snippet and "payments" not in json.dumps(printed)
    prose = " ".join(result.stdout[result.stdout.rindex("}") + 1 :].split())
    assert "It carries no OTEL_RESOURCE_ATTRIBUTES: managed settings win key by key" in prose
    assert "Each developer runs `agent-analytics init --team <their team>` once, which writes their own ids." in prose
    # The admin's own settings keep their identity.
    own = json.loads((home / ".claude" / "settings.json").read_text())["env"]["OTEL_RESOURCE_ATTRIBUTES"]
    assert own == "developer.id=ada.lovelace@example.com,team.id=payments"


def test_the_wizard_asks_and_defaults_to_git_identity(home, receiver):
    host = receiver.removeprefix("http://").split(":")[0]
    answers = "\n".join([receiver, "", "", "", "mobile", "claude-code,codex", ""]) + "\n"
    result = cli("init", "--no-hook", input=answers)
    assert result.exit_code == 0, result.output
    config = workstation.load()
    assert (config.endpoint, config.exporter_url, config.api_key) == (
        receiver,
        f"http://{host}:9465",
        "",
    )
    assert (config.developer_id, config.team_id, config.agents) == (
        "ada.lovelace@example.com",
        "mobile",
        ["claude-code", "codex"],
    )
    assert stat.S_IMODE(workstation.config_path().stat().st_mode) == 0o644  # no key in it
    assert not (home / ".gemini").exists()
    unset = subprocess.run(["git", "config", "--global", "--get", "core.hooksPath"], capture_output=True)
    assert unset.returncode == 1  # --no-hook: git's config untouched
    # Re-running the wizard offers the saved answers as defaults: Enter everywhere keeps them.
    again = cli("init", "--no-hook", input="\n" * 7)
    assert again.exit_code == 0, again.output
    assert workstation.load() == config


def test_the_wizard_reads_piped_answers_and_explains_missing_ones(home, receiver):
    def wizard(answers: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "agent_analytics.cli", "init", "--no-hook"],
            input=answers,
            capture_output=True,
            text=True,
            timeout=60,
        )

    piped = wizard(f"{receiver}\n\nkey-123\n\n\n\n")
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""  # no warning about echoing the key: there is no terminal to hide it on
    assert workstation.load().api_key == "key-123"
    cut_short = wizard(f"{receiver}\n")
    assert cut_short.returncode == 1
    assert cut_short.stderr.strip().splitlines()[-1] == (
        "error: no answer to 'Exporter URL (git commits)' (input ended): answer every question,"
        " or pass --yes with the flags you need"
    )


def test_a_broken_settings_file_is_reported_and_left_alone(home):
    (home / ".claude").mkdir()
    broken = '{"env": {"A": "1",}'
    (home / ".claude" / "settings.json").write_text(broken)
    result = cli("init", *FLAGS)
    assert result.exit_code == 1
    assert "settings.json is not valid JSON" in result.stderr and "fix it" in result.stderr
    # one line of error, after --yes's one line of warning about the endpoint that does not resolve
    warning, error = result.stderr.strip().splitlines()
    assert warning.startswith("warning: http://collector.internal:4318 unreachable") and error.startswith("error: ")
    assert (home / ".claude" / "settings.json").read_text() == broken


def test_bad_flags_fail_with_one_line_saying_what_to_do(home):
    unknown = cli("init", "--yes", "--agents", "claude-code,vim")
    assert unknown.exit_code == 1 and "unknown agent(s) vim" in unknown.stderr
    bad_url = cli("init", "--yes", "--endpoint", "collector:4318")
    assert bad_url.exit_code == 1 and "not an http(s) URL" in bad_url.stderr
    assert not workstation.config_path().exists()
