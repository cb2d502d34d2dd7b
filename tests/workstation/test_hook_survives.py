"""The installed hook after `make clean` or a moved clone: commits still succeed and are spooled,
and `hook status` and `doctor` say loudly what is wrong and what to do."""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from agent_analytics.workstation import hook_install, hook_sender
from tests.support.net import free_port
from tests.support.workstation import cli, commit, hook_log, isolated_home, make_repo


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
    assert (hooks.parent / hook_install.RUNTIME_COPY).read_text() == hook_install.runtime_source()

    shutil.rmtree(tmp_path / "venv")  # `make clean`
    repo = make_repo(tmp_path / "api")
    sha, out = commit(repo, {"a.txt": "1\n"}, "after make clean")
    assert out.returncode == 0 and out.stdout == "" and out.stderr == ""
    assert spooled_shas() == [sha]  # recorded by the system python3, kept for `hook flush`
    assert hook_log()[-1].endswith(f"spooled, {hook_sender.hook_runtime.SENDER_GONE} {python}")

    monkeypatch.chdir(repo)
    status = cli("hook", "status")
    assert status.exit_code == 1
    assert "spooled commits: 1 (" in status.stdout
    fallback = shutil.which("python3")
    assert status.stderr == (
        f"error: {hooks} points nowhere: it runs {python}, which no longer exists; commits are still spooled by"
        f" {fallback} but not sent: install agent-analytics again, run `agent-analytics hook install`,"
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


def test_a_runtime_that_was_moved_away_never_fails_a_commit_and_is_reported(home, tmp_path, monkeypatch):
    assert cli("hook", "install").exit_code == 0
    hooks = hook_install.installed_hook()
    runtime = hooks.parent / hook_install.RUNTIME_COPY
    runtime.unlink()
    repo = make_repo(tmp_path / "web")
    _, out = commit(repo, {"b.txt": "2\n"}, "runtime gone")
    assert out.returncode == 0 and out.stderr == ""
    monkeypatch.chdir(repo)
    status = cli("hook", "status")
    assert status.exit_code == 1
    assert status.stderr == (
        f"error: {hooks} points nowhere: {runtime} is missing, so commits are not recorded:"
        " run `agent-analytics hook install` again\n"
    )
    assert cli("hook", "install").exit_code == 0 and runtime.is_file()
    uninstalled = cli("hook", "uninstall")
    assert uninstalled.exit_code == 0
    assert not hooks.parent.exists()  # the runtime copy and its bytecode went with the hook
