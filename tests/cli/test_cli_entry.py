import subprocess
import sys

from agent_analytics import __version__


def test_console_script_prints_version_and_help():
    out = subprocess.run([sys.executable, "-m", "agent_analytics.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == __version__
    helptext = subprocess.run([sys.executable, "-m", "agent_analytics.cli", "--help"], capture_output=True, text=True)
    assert helptext.returncode == 0
    assert "Spend, usage and output" in helptext.stdout


def _help(*command: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", *command, "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "250", "PATH": "/usr/bin:/bin", "TERM": "dumb"},
    )
    assert out.returncode == 0, out.stderr
    return " ".join(out.stdout.split())


def test_help_shows_the_defaults_written_in_brackets():
    # Rich reads "[default: ...]" as markup and drops it: the defaults must reach the reader.
    init = _help("init")
    assert "Who you are on dashboards (default: your git user.email)." in init
    assert "(default: the endpoint's host, port 9465)." in init
    assert "claude-code,gemini-cli,codex,copilot-cli (default: claude-code)." in init
    doctor = _help("doctor")
    assert "Collector OTLP/HTTP URL (default: from the config)." in doctor
    assert "Prometheus URL (default: the endpoint's host, port 9090)." in doctor
