"""The installed hook after `make clean`, a moved clone or an upgrade: commits still succeed and are
spooled with their session evidence, and `hook status` and `doctor` say loudly what is wrong and
what to do."""

from __future__ import annotations

import json
import shlex
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from agent_analytics.workstation import hook_install, hook_sender
from tests.support.net import free_port, wait_until
from tests.support.workstation import cli, commit, hook_log, isolated_home, make_repo, senders_settled
from tests.workstation.test_hook_delivery import SESSION


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = isolated_home(tmp_path, monkeypatch)
    dead = f"http://127.0.0.1:{free_port()}"  # no exporter: spooled commits stay spooled
    result = cli("init", "--yes", "--no-hook", "--endpoint", f"http://127.0.0.1:{free_port()}", "--exporter-url", dead)
    assert result.exit_code == 0, result.output
    return home


def throwaway_installation(folder: Path) -> Path:
    """A virtual environment of its own that runs this checkout, as `make setup` makes one."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    packages = next(folder.glob("lib/python3*/site-packages"))
    (packages / "this-checkout.pth").write_text(f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n")
    return folder / "bin" / "python"


def spooled_shas() -> list[str]:
    return sorted(p.name.split("-")[0] for p in hook_sender.pending())


def test_a_removed_installation_still_spools_and_status_and_doctor_say_what_to_do(home, tmp_path, monkeypatch):
    python = throwaway_installation(tmp_path / "venv")
    installed = subprocess.run(
        [str(python), "-m", "agent_analytics.cli", "hook", "install"], capture_output=True, text=True, timeout=60
    )
    assert installed.returncode == 0, installed.stderr
    hooks = hook_install.installed_hook()
    assert hook_install.hook_python(hooks) == str(python)

    shutil.rmtree(tmp_path / "venv")  # `make clean`
    repo = make_repo(tmp_path / "api")
    sha, out = commit(repo, {"a.txt": "1\n"}, "after make clean", env=SESSION)
    assert out.returncode == 0 and out.stdout == "" and out.stderr == ""
    assert spooled_shas() == [sha]  # recorded by the hook itself (no Python needed), kept for `hook flush`
    assert hook_log()[-1].endswith(f"spooled, {hook_install.SENDER_GONE} {python}")

    monkeypatch.chdir(repo)
    status = cli("hook", "status")
    assert status.exit_code == 1
    assert "spooled commits: 1 (" in status.stdout
    assert status.stderr == (
        f"error: {hooks} points nowhere: it runs {python}, which no longer exists; commits are still spooled"
        " but not sent: install agent-analytics again, run `agent-analytics hook install`,"
        " then `agent-analytics hook flush`\n"
    )
    doctor = json.loads(cli("doctor", "--json").stdout)
    hook_check = next(c for c in doctor["checks"] if c["name"] == "git hook")
    assert hook_check["status"] == "fail" and hook_check["detail"].startswith(f"{hooks} points nowhere: it runs ")

    # Installed again from a working installation: recorded and sent as before.
    assert cli("hook", "install").exit_code == 0
    assert cli("hook", "status").exit_code == 0
    flush = cli("hook", "flush")
    assert flush.exit_code == 1
    assert flush.stderr.startswith("error: exporter at http://127.0.0.1:")
    assert flush.stderr.rstrip().endswith(
        "(1 commit(s) stay spooled): start the exporter (`agent-analytics up`, or `docker compose up -d` on the"
        " server) or point this workstation at it with `agent-analytics init --exporter-url URL`, then run"
        " `agent-analytics hook flush` again"
    )
    status = cli("hook", "status")
    assert status.stdout.splitlines()[-1].startswith("last send: ")
    assert "flush: error: exporter at http://127.0.0.1:" in status.stdout.splitlines()[-1]
    # What the hook saw of the Claude Code session is kept for when the exporter answers.
    (capture,) = hook_sender.pending()
    assert json.loads(capture.read_text())["agent_env"] == SESSION


def test_the_hook_of_an_earlier_version_is_replaced_and_its_python_runtime_removed(home, tmp_path, monkeypatch):
    # Earlier versions installed a hook that ran Python, with a copy of its runtime beside it.
    hooks = tmp_path / "shared-hooks"
    hooks.mkdir()
    runner = f"import sys; sys.path.insert(0, {str(hooks)!r}); import {hook_install.OLD_RUNTIME} as h; h.main()"
    (hooks / "post-commit").write_text(
        f"#!/bin/sh\n{hook_install.MARKER}: records each commit.\npython={sys.executable}\n"
        f'"$python" -I -S -c {shlex.quote(runner)} </dev/null >/dev/null 2>&1\n'
    )
    (hooks / "post-commit").chmod(0o755)
    (hooks / f"{hook_install.OLD_RUNTIME}.py").write_text("# the runtime\n")
    (hooks / "__pycache__").mkdir()
    (hooks / "__pycache__" / f"{hook_install.OLD_RUNTIME}.cpython-311.pyc").write_bytes(b"")
    subprocess.run(["git", "config", "--global", "core.hooksPath", str(hooks)], check=True)
    repo = make_repo(tmp_path / "web")
    monkeypatch.chdir(repo)
    status = cli("hook", "status")
    assert status.exit_code == 1
    assert status.stderr == (
        f"error: {hooks / 'post-commit'} runs another installation of agent-analytics:"
        " run `agent-analytics hook install` again\n"
    )

    assert cli("hook", "install").exit_code == 0
    assert sorted(p.name for p in hooks.iterdir()) == ["post-commit"]  # the runtime and its bytecode are gone
    assert cli("hook", "status").exit_code == 0
    sha, out = commit(repo, {"b.txt": "2\n"}, "after the upgrade", env=SESSION)
    assert out.returncode == 0 and out.stderr == ""
    assert spooled_shas() == [sha]
    wait_until(senders_settled, timeout=30, what="the hook's sender to finish")
    assert cli("hook", "uninstall").exit_code == 0
    assert sorted(p.name for p in hooks.iterdir()) == []
