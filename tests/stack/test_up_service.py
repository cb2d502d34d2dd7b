"""`up --install-service`: the unit (systemd) or agent (launchd) runs exactly the `up` that was asked for,
the service manager is told to start it, `doctor` reports it, `--uninstall-service` removes it.

No user service manager runs here (no session bus), so `systemctl` and `loginctl` are stand-ins on PATH
that record how they were called and answer as the real ones do; the unit file itself is checked by
systemd's own `systemd-analyze verify` where it is installed.
"""

import getpass
import json
import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent_analytics.stack import service
from tests.support.up_process import env_for

PROGRAM = [sys.executable, "-m", "agent_analytics.cli"]  # how these tests start the CLI

# systemctl as the user manager answers it: `is-active` prints the state (exit 0 only when active).
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> "{calls}"
case "$*" in
  *is-active*) state=$(cat "{state}" 2>/dev/null || echo inactive); echo "$state"; [ "$state" = active ] ;;
  *restart*|*start*) echo active > "{state}" ;;
  *disable*) echo inactive > "{state}" ;;
esac
"""
FAKE_LOGINCTL = """#!/bin/sh
echo no
"""


def systemd_words(line: str) -> list[str]:
    """A unit's command line as systemd.service(5) reads it: words split at blanks, double-quoted words
    with C escapes, then `$$` and `%%` for a literal `$` and `%`."""
    words = []
    for quoted, plain in re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', line):
        word = re.sub(r"\\(.)", r"\1", quoted) if quoted or not plain else plain
        words.append(word.replace("$$", "$").replace("%%", "%"))
    return words


def unit_values(text: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{key}=")]


ASKED = ["up", "--data-dir", '/srv/agent analytics/100% "mine" $HOME', "--prometheus-port", "19090"]


def test_the_systemd_unit_runs_the_up_that_was_asked_for(tmp_path):
    unit = service.render(service.SYSTEMD, [*PROGRAM, *ASKED], tmp_path, "/opt/x y/bin:/usr/bin", tmp_path / "up.log")
    assert unit.path == tmp_path / ".config" / "systemd" / "user" / "agent-analytics.service"
    (exec_start,) = unit_values(unit.text, "ExecStart")
    assert systemd_words(exec_start) == [*PROGRAM, *ASKED]
    (path,) = unit_values(unit.text, "Environment")
    assert systemd_words(path) == ["PATH=/opt/x y/bin:/usr/bin"]
    assert unit_values(unit.text, "Restart") == ["on-failure"]
    assert unit_values(unit.text, "WantedBy") == ["default.target"]
    if shutil.which("systemd-analyze") is None:
        return  # the rendering is checked above; systemd's own reading only where systemd is
    unit_file = tmp_path / service.UNIT
    unit_file.write_text(unit.text)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    verified = subprocess.run(
        ["systemd-analyze", "--user", "verify", str(unit_file)],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)},
        timeout=60,
    )
    assert (verified.returncode, verified.stderr) == (0, "")


def test_the_launchd_agent_runs_the_up_that_was_asked_for(tmp_path):
    agent = service.render(service.LAUNCHD, [*PROGRAM, *ASKED], tmp_path, "/opt/x y/bin:/usr/bin", tmp_path / "up.log")
    assert agent.path == tmp_path / "Library" / "LaunchAgents" / "io.github.agent-analytics.up.plist"
    plist = plistlib.loads(agent.text.encode())
    assert plist["ProgramArguments"] == [*PROGRAM, *ASKED]
    assert plist["Label"] == "io.github.agent-analytics.up"
    assert plist["EnvironmentVariables"] == {"PATH": "/opt/x y/bin:/usr/bin"}
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["StandardErrorPath"] == str(tmp_path / "up.log")


@pytest.fixture
def session(tmp_path):
    """A user's environment with the stand-in systemctl/loginctl first on PATH; yields (env, calls file)."""
    tools = tmp_path / "bin"
    tools.mkdir()
    calls, state = tmp_path / "systemctl.calls", tmp_path / "systemctl.state"
    (tools / "systemctl").write_text(FAKE_SYSTEMCTL.format(calls=calls, state=state))
    (tools / "loginctl").write_text(FAKE_LOGINCTL)
    for tool in tools.iterdir():
        tool.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    return env_for(home, path=f"{tools}:{os.environ['PATH']}"), calls


def aa(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*PROGRAM, *args], capture_output=True, text=True, env=env, timeout=120, cwd=cwd)


def doctor_service(env: dict[str, str]) -> dict:
    """The `up service` check of `agent-analytics doctor --json`."""
    checks = json.loads(aa(env, "doctor", "--json", cwd=Path(env["HOME"])).stdout)["checks"]
    return next(c for c in checks if c["name"] == "up service")


def service_check(env: dict[str, str], monkeypatch) -> dict:
    """The same check, made in this process (doctor's other checks take seconds) with the session's environment."""
    for name in ("PATH", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(name, env[name])
    return service.check(Path(env["HOME"])).as_dict()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="systemd user units are Linux's")
def test_install_starts_the_unit_doctor_reports_it_and_uninstall_removes_it(tmp_path, session, monkeypatch):
    env, calls = session
    home = Path(env["HOME"])
    config = tmp_path / "stack.yaml"
    config.write_text("prometheus:\n  retention: 30d\n")
    asked = ["--config", str(config), "--otlp-http-port", "14318", "--prometheus-port", "19090"]
    unit_file = home / ".config" / "systemd" / "user" / "agent-analytics.service"
    assert service_check(env, monkeypatch) == {
        "name": "up service",
        "status": "ok",
        "detail": f"not installed ({unit_file}); `agent-analytics up --install-service` keeps the stack running",
        "fix": "",
    }

    installed = aa(env, "up", *asked, "--install-service")
    assert installed.returncode == 0, installed.stderr
    # No --data-dir asked: the unit names the one this `up` would have used, whatever the service's environment.
    data_dir = home / ".data" / "agent-analytics"
    (exec_start,) = unit_values(unit_file.read_text(), "ExecStart")
    assert systemd_words(exec_start) == [*PROGRAM, "up", "--config", str(config), "--data-dir", str(data_dir),
                                         "--otlp-http-port", "14318", "--prometheus-port", "19090"]  # fmt: skip
    assert calls.read_text().splitlines() == [
        "--user daemon-reload",
        "--user enable agent-analytics.service",
        "--user restart agent-analytics.service",
    ]
    assert installed.stdout.splitlines() == [
        f"Installed agent-analytics.service ({unit_file}); it runs now and at each log-in:",
        "  " + shlex.join(systemd_words(exec_start)),
        "Status: systemctl --user status agent-analytics.service",
        "Logs:   journalctl --user -u agent-analytics.service -f",
        f"Remove: {sys.executable} -m agent_analytics.cli up --uninstall-service",
        f"To start it at boot and keep it after you log out: loginctl enable-linger {getpass.getuser()}",
    ]
    assert doctor_service(env) == {
        "name": "up service",
        "status": "ok",
        "detail": f"{unit_file} installed and running",
        "fix": "",
    }

    (tmp_path / "systemctl.state").write_text("failed\n")  # the stack stopped for good
    assert service_check(env, monkeypatch) == {
        "name": "up service",
        "status": "fail",
        "detail": f"{unit_file} installed but not running",
        "fix": "see why: `systemctl --user status agent-analytics.service`,"
        " `journalctl --user -u agent-analytics.service`",
    }

    calls.write_text("")
    removed = aa(env, "up", "--uninstall-service")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout == f"Stopped and removed {unit_file}.\n"
    assert not unit_file.exists()
    assert calls.read_text().splitlines() == ["--user disable --now agent-analytics.service", "--user daemon-reload"]
    check = service_check(env, monkeypatch)
    assert check["status"] == "ok" and check["detail"].startswith("not installed")


def test_install_refuses_a_data_dir_a_running_up_holds(tmp_path, session):
    from agent_analytics.stack import lock

    env, calls = session
    data_dir = tmp_path / "data"
    held = lock.take(data_dir)  # as a foreground `up` holds it
    try:
        result = aa(env, "up", "--data-dir", str(data_dir), "--install-service")
    finally:
        os.close(held)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: an `agent-analytics up` (pid {os.getpid()}) is running on {data_dir}: stop it first,"
        " the service runs it\n"
    )
    assert not calls.exists()


DOC = Path(__file__).resolve().parents[2] / "docs" / "running-as-a-service.md"


def test_the_units_the_docs_show_are_what_install_writes():
    text = DOC.read_text()
    ini = re.search(r"```ini\n(.*?)```", text, re.S).group(1)
    (exec_start,) = unit_values(ini, "ExecStart")
    (path,) = unit_values(ini, "Environment")
    argv, home = systemd_words(exec_start), Path("/home/ada")
    unit = service.render(service.SYSTEMD, argv, home, systemd_words(path)[0].removeprefix("PATH="), home / "up.log")
    assert unit.text == ini
    assert f"to\n`~/{unit.path.relative_to(home)}`" in text

    xml = re.search(r"```xml\n(.*?)```", text, re.S).group(1)
    plist = plistlib.loads(xml.encode())
    home = Path("/Users/ada")
    agent = service.render(
        service.LAUNCHD,
        plist["ProgramArguments"],
        home,
        plist["EnvironmentVariables"]["PATH"],
        Path(plist["StandardErrorPath"]),
    )
    assert agent.text == xml
    assert f"`~/{agent.path.relative_to(home)}`" in text
