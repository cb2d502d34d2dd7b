"""`agent-analytics config check` and `config schema` as a user runs them, on every kind of config file."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent_analytics.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "agent_analytics.cli"]


def aa(*args: str) -> subprocess.CompletedProcess:
    """The command in this process (quick); its exit code and output as a subprocess would give them."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)


# The pages of the docs site that show the product's own config files.
CONFIG_EXAMPLE_PAGES = ("configuration.md", "exporter.md", "vendors.md", "collector.md", "cli.md", "getting-paged.md")


def docs_yaml_blocks() -> list[str]:
    pages = [(ROOT / "docs" / name).read_text() for name in CONFIG_EXAMPLE_PAGES]
    return [block for page in pages for block in re.findall(r"^```yaml\n(.*?)^```", page, flags=re.S | re.M)]


def test_every_yaml_example_of_the_docs_passes_config_check(tmp_path):
    blocks = docs_yaml_blocks()
    assert len(blocks) >= 3
    kinds = []
    for i, block in enumerate(blocks):
        path = tmp_path / f"example-{i}.yaml"
        path.write_text(block)
        result = aa("config", "check", str(path))
        assert result.returncode == 0, (block, result.stderr)
        kinds.append(result.stdout.strip().removeprefix(f"{path}: a valid ").removesuffix(" config"))
        # the examples name repositories of their own machine: reported, not fatal
        assert all(line.startswith(f"warning: {path}: ") for line in result.stderr.splitlines()), result.stderr
    assert {"exporter", "stack", "alerting"} <= set(kinds), kinds


EXPORTER_KEYS = (
    "anthropic, anthropic_enterprise, auth_tokens, budgets, copilot, cursor, data_dir, hook_wait_seconds, identities,"
    " ingest_max_bytes, loki_url, openai, plan_prices, prometheus_url, remote_write_url, repos, roi,"
    " scan_interval_seconds, seat_prices, seats, spend_source"
)
COLLECTOR_KEYS = (
    "auth_tokens, cumulative_stream_ttl_seconds, data_dir, durability, events_file_count, events_file_max_bytes,"
    " grpc_port, host, http_port, label_policy, label_policy_file, log_prompts, loki_max_backoff_seconds,"
    " loki_timeout_seconds,"
    " loki_url, max_request_bytes, metrics_port, persist_interval_seconds, spool_max_bytes"
)
TYPOS = {
    # kind: (file with a typo on its last line, the key as shown, the valid keys there, line)
    "exporter": ("repos: []\nrepoz: [/src/api]\n", "repoz", EXPORTER_KEYS, 2),
    "stack": (
        "ports: {prometheus: 9091}\nexporter:\n  repos: []\n  budgetz: {platform: 1}\n",
        "exporter.budgetz",
        EXPORTER_KEYS,
        4,
    ),
    "collector": ("host: 0.0.0.0\ngrpc_prot: 4317\n", "grpc_prot", COLLECTOR_KEYS, 2),
    "workstation": (
        "endpoint: http://127.0.0.1:4318\nteam: platform\n",
        "team",
        "agents, api_key, developer_id, endpoint, exporter_url, loki_url, plan, prometheus_url, team_id, without_loki",
        2,
    ),
    "label-policy": (
        "metrics:\n  cardinality_limit: 100\n  cardinality_limitz: {}\n",
        "metrics.cardinality_limitz",
        "cardinality_limit, cardinality_limits, developer_attribute, developer_header, drop_attributes,"
        " resource_labels, rewrite_values",
        3,
    ),
    "alerting": (
        "receivers:\n  tickets:\n    slack: {url: {env: SLACK_URL}, chanel: '#ai-spend'}\n",
        "receivers.tickets.slack.chanel",
        "channel, url",
        3,
    ),
}


@pytest.mark.parametrize("kind", list(TYPOS))
def test_a_typo_names_file_line_key_and_the_valid_keys_with_exit_2(tmp_path, kind):
    text, key, valid, line = TYPOS[kind]
    path = tmp_path / "settings.yaml"
    path.write_text(text)
    expected = f"error: {path}: {key}: unknown key; expected one of {valid} (line {line})"
    for args in (["--kind", kind], []):  # named, and inferred from the keys
        result = aa("config", "check", str(path), *args)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr.splitlines() == [expected]
    if kind == "exporter":  # and as a user's shell sees it
        result = run("config", "check", str(path))
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr.splitlines() == [expected]


def test_the_commands_that_read_a_file_report_a_typo_the_same_way(tmp_path):
    exporter_file = tmp_path / "exporter.yaml"
    exporter_file.write_text(TYPOS["exporter"][0])
    collector_file = tmp_path / "collector.yaml"
    collector_file.write_text(TYPOS["collector"][0])
    stack_file = tmp_path / "stack.yaml"
    stack_file.write_text(TYPOS["stack"][0])
    for command, path, kind in (
        (["exporter", "--config"], exporter_file, "exporter"),
        (["collector", "--config"], collector_file, "collector"),
        (["up", "--data-dir", str(tmp_path / "d"), "--config"], stack_file, "stack"),
    ):
        _, key, valid, line = TYPOS[kind]
        result = run(*command, str(path))
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"error: {path}: {key}: unknown key; expected one of {valid} (line {line})"
        ]


def test_a_valid_file_passes_and_a_missing_repository_is_a_warning(tmp_path):
    path = tmp_path / "exporter.yaml"
    path.write_text("repos: [api]\nbudgets: {platform: 2500}\n")
    result = aa("config", "check", str(path))
    assert result.returncode == 0
    assert result.stdout == f"{path}: a valid exporter config\n"
    assert result.stderr == (
        f"warning: {path}: repos[0]: {tmp_path / 'api'} is not a folder; fix the path or remove it from repos\n"
    )
    value = tmp_path / "values.yaml"
    value.write_text("seats: {cursor: 2.5}\n")
    bad = aa("config", "check", str(value), "--kind", "exporter")
    assert (bad.returncode, bad.stderr) == (
        2,
        f"error: {value}: seats.cursor: expected a whole number, got 2.5 (line 1)\n",
    )


def test_a_file_that_fits_no_kind_or_two_asks_for_the_kind(tmp_path):
    both = tmp_path / "both.yaml"
    both.write_text("collector: {host: 0.0.0.0}\n")  # the collector's own file, or up's file with one section
    result = aa("config", "check", str(both))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {both}: its keys (collector) fit stack or collector:"
        " pass --kind (exporter, stack, collector, workstation, label-policy, alerting)\n"
    )
    assert aa("config", "check", str(both), "--kind", "collector").returncode == 0
    assert aa("config", "check", str(both), "--kind", "stack").returncode == 0
    unknown = aa("config", "check", str(both), "--kind", "grafana")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "error: unknown config kind 'grafana': use one of exporter, stack, collector, workstation, label-policy,"
        " alerting\n",
    )
    missing = aa("config", "check", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and missing.stderr.startswith(f"error: {tmp_path / 'nope.yaml'}: no such file")


def test_schema_of_the_exporter_and_stack_files(tmp_path):
    exporter = json.loads(aa("config", "schema", "exporter").stdout)
    assert exporter["additionalProperties"] is False
    assert set(exporter["properties"]) == set(EXPORTER_KEYS.split(", "))
    assert exporter["properties"]["scan_interval_seconds"]["default"] == 60.0
    stack = json.loads(aa("config", "schema", "stack").stdout)
    assert set(stack["properties"]) == {"ports", "collector", "exporter", "prometheus", "alerting"}
    ports = stack["$defs"]["Ports"]
    assert ports["additionalProperties"] is False
    assert ports["properties"]["prometheus"]["default"] == 9090
    assert ports["properties"]["prometheus"]["maximum"] == 65535
    for kind in ("collector", "workstation", "label-policy", "alerting"):
        assert json.loads(aa("config", "schema", kind).stdout)["additionalProperties"] is False


def test_spend_source_takes_auto_telemetry_or_vendor_api_per_agent(tmp_path):
    path = tmp_path / "exporter.yaml"
    path.write_text("spend_source: {claude-code: vendor_api, codex: telemetry}\n")
    assert aa("config", "check", str(path), "--kind", "exporter").returncode == 0
    path.write_text("spend_source: {claude-code: both}\n")
    bad = aa("config", "check", str(path), "--kind", "exporter")
    assert (bad.returncode, bad.stderr) == (
        2,
        f"error: {path}: spend_source.claude-code: expected 'auto', 'telemetry' or 'vendor_api', got 'both' (line 1)\n",
    )
