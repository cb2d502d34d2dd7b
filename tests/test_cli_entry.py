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
