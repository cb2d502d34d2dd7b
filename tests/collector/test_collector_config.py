"""Collector settings: YAML, flags over YAML, one-line errors for what is wrong."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent_analytics.cli.app import app
from agent_analytics.collector.config import ConfigError, load_config
from agent_analytics.collector.service import CollectorService


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "collector.yaml"
    path.write_text(text)
    return path


def test_yaml_then_flags(tmp_path):
    path = write(
        tmp_path,
        """
collector:
  grpc_port: 14317
  http_port: 14318
  auth_tokens: [a, b]
  loki_url: http://loki:3100/
  log_prompts: true
  label_policy:
    metrics:
      cardinality_limit: 100
""",
    )
    config = load_config(path, http_port=24318, data_dir=str(tmp_path / "d"))
    assert (config.grpc_port, config.http_port, config.metrics_port) == (14317, 24318, 8889)
    assert config.auth_tokens == ["a", "b"]
    assert config.loki_url == "http://loki:3100"
    assert config.log_prompts is True
    assert config.data_dir == tmp_path / "d"
    policy = config.policy()
    assert policy.cardinality_limit == 100
    assert policy.limit_for("anything") == 100
    assert "session.id" in policy.drop_attributes  # the shipped policy still applies
    assert policy.rewrites["model"]("claude-opus-4-8[1m]") == "claude-opus-4-8"


def test_defaults():
    config = load_config(None)
    assert (config.grpc_port, config.http_port, config.metrics_port) == (4317, 4318, 8889)
    assert config.max_request_bytes == 4 * 1024 * 1024
    assert config.loki_url is None and config.log_prompts is False and config.auth_tokens == []
    assert config.policy().cardinality_limit == 5000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("grpc_prot: 1\n", "grpc_prot: unknown key; expected one of auth_tokens, cumulative_stream_ttl_seconds"),
        ("grpc_port: many\n", "grpc_port"),
        ("http_port: 70000\n", "http_port: expected a port number 0-65535, got 70000 (line 1)"),
        (
            "label_policy: {metrics: {cardinality_limit: 0}}\n",
            "label_policy.metrics.cardinality_limit: must be at least 1, got 0",
        ),
        (
            "label_policy: {metrics: {rewrite_values: {model: [{pattern: '(['}]}}}\n",
            "label_policy.metrics.rewrite_values.model[0].pattern: not a valid regular expression",
        ),
        ("[1, 2]\n", "expected a mapping"),
        ("a: [\n", "not valid YAML"),
        ("grpc_port: many\n", "grpc_port: expected a port number 0-65535, got 'many'"),
        ("grpc_port: 4317.5\n", "grpc_port: expected a port number 0-65535, got 4317.5"),
        ("loki_timeout_seconds: soon\n", "loki_timeout_seconds: expected a number, got 'soon'"),
        (
            "loki_url: localhost:3100\n",
            "loki_url: expected an http(s) URL such as http://localhost:3100, got 'localhost:3100'",
        ),
        ("persist_interval_seconds: -1\n", "persist_interval_seconds: must be above 0"),
        ("loki_timeout_seconds: 0\n", "loki_timeout_seconds: must be above 0"),
        ("cumulative_stream_ttl_seconds: 0\n", "cumulative_stream_ttl_seconds: must be above 0"),
        ("events_file_count: 0\n", "events_file_count: must be at least 1"),
        ("loki_max_backoff_seconds: -1\n", "loki_max_backoff_seconds: must be at least 0"),
        ("spool_max_bytes: -1\n", "spool_max_bytes: must be at least 0"),
        ("collector:\n  host: x\n  grpc_prot: 3\n", "collector.grpc_prot: unknown key; expected one of"),
    ],
)
def test_errors_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, text))
    assert str(e.value).startswith(f"{tmp_path / 'collector.yaml'}")  # every error names the file
    assert message in str(e.value)


def test_a_yaml_error_and_a_data_dir_that_is_a_file_are_one_line(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "a: [\n"))
    assert "\n" not in str(e.value) and str(e.value).startswith(f"{tmp_path / 'collector.yaml'} line 2:")
    not_a_folder = tmp_path / "state"
    not_a_folder.write_text("")
    with pytest.raises(ConfigError) as e:
        load_config(None, data_dir=str(not_a_folder))
    assert str(e.value) == f"collector config: data_dir: {not_a_folder} is not a folder"
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "collector:\n  host: 0.0.0.0\n  grpc_prot: 1\n"))
    assert str(e.value).endswith(
        ": collector.grpc_prot: unknown key; expected one of auth_tokens,"
        " cumulative_stream_ttl_seconds, data_dir, durability, events_file_count, events_file_max_bytes,"
        " grpc_port, host, http_port, label_policy, label_policy_file, log_prompts, loki_max_backoff_seconds,"
        " loki_timeout_seconds,"
        " loki_url, max_request_bytes, metrics_port, persist_interval_seconds, spool_max_bytes (line 3)"
    )


def test_cli_reports_a_bad_config_in_one_line(tmp_path):
    result = CliRunner().invoke(app, ["collector", "--config", str(write(tmp_path, "grpc_prot: 1\n"))])
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"error: {tmp_path / 'collector.yaml'}: grpc_prot: unknown key")
    assert len(result.output.strip().splitlines()) == 1
    missing = CliRunner().invoke(app, ["collector", "--config", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "nope.yaml: no such file" in missing.output


def test_cli_help_names_every_flag():
    result = CliRunner().invoke(app, ["collector", "--help"])
    assert result.exit_code == 0
    for flag in ("--grpc-port", "--http-port", "--metrics-port", "--data-dir", "--config", "--loki-url", "--json"):
        assert flag in result.output


def test_a_port_in_use_is_refused_with_a_clear_message(start_collector, tmp_path):
    running = start_collector()
    for port_setting, port in (("http_port", running.http_port), ("grpc_port", running.grpc_port)):
        ports = {"grpc_port": 0, "http_port": 0, "metrics_port": 0, port_setting: port}
        second = CollectorService(load_config(None, data_dir=tmp_path / port_setting, **ports))
        with pytest.raises(OSError, match=f"127.0.0.1:{port}"):
            second.start()
