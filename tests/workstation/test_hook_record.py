"""What the shell hook records inside `git commit`: where, what it keeps of the environment, and
that a full disk or an unwritable spool never fails or disturbs a commit."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import platformdirs
import pytest

from agent_analytics.workstation import hook_install, hook_spool
from tests.support.ingest_server import IngestServer
from tests.support.net import free_port, wait_until
from tests.support.workstation import cli, commit, git, hook_log, isolated_home, make_repo, senders_settled
from tests.workstation.test_hook_delivery import SESSION, init


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = isolated_home(tmp_path, monkeypatch)
    init(f"http://127.0.0.1:{free_port()}")  # no exporter: what the hook spooled stays spooled
    return home


def spool() -> Path:
    return Path(platformdirs.user_state_dir("agent-analytics")) / "spool"


@pytest.mark.parametrize("xdg_state_home", [None, "state"])
def test_a_commit_is_spooled_where_platformdirs_says_state_lives(home, tmp_path, monkeypatch, xdg_state_home):
    if xdg_state_home:
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / xdg_state_home))
    repo = make_repo(tmp_path / "api")
    sha, _ = commit(repo, {"a.txt": "1\n"}, "first")
    assert [p.name.split("-")[0] for p in hook_spool.pending(spool())] == [sha]
    wait_until(senders_settled, timeout=30, what="the hook's sender to finish")


def test_the_spool_keeps_the_agent_variables_and_never_a_secret(home, tmp_path):
    repo = make_repo(tmp_path / "api")
    variables = {
        **SESSION,
        "CODEX_SANDBOX": "seatbelt",
        "AIDER_MODEL": "sonnet",
        "AIDER_OPENAI_API_KEY": "sk-aider",
        "CODEX_Auth_Header": "sk-codex",
        "OPENAI_API_KEY": "sk-openai",
        "AI_AGENT_NOTE": "not an agent variable",
    }
    commit(repo, {"a.txt": "1\n"}, "first", env={"AGENT_ANALYTICS_HOOK": "off"})
    # The installed hook's own recording, with no sender to start: the record stays as written.
    record_only = hook_install.record_script("/nonexistent/python") + "\nrecord\n"
    subprocess.run(["sh", "-c", record_only], cwd=repo, env={**os.environ, **variables}, check=True)
    (record,) = hook_spool.records(spool())
    fields, kept = hook_spool.read_record(record)
    assert fields == {"sha": git(repo, "rev-parse", "HEAD").stdout.strip(), "path": str(repo)}
    assert kept == {**SESSION, "CODEX_SANDBOX": "seatbelt", "AIDER_MODEL": "sonnet"}
    assert b"sk-" not in record.read_bytes()


def test_hook_post_commit_records_head_as_the_installed_hook_does(home, tmp_path, monkeypatch):
    # For hook managers (husky, lefthook, pre-commit) that call a command instead of a hook file.
    repo = make_repo(tmp_path / "api")
    sha, _ = commit(repo, {"a.txt": "1\n"}, "first", env={"AGENT_ANALYTICS_HOOK": "off"})
    monkeypatch.chdir(repo)
    result = cli("hook", "post-commit")
    assert (result.exit_code, result.output) == (0, "")
    assert [p.name.split("-")[0] for p in hook_spool.pending(spool())] == [sha]
    wait_until(senders_settled, timeout=30, what="the sender to finish")


def test_a_commit_with_a_separate_git_dir_reaches_the_exporter(home, tmp_path):
    # The bare-repository-for-dotfiles pattern: `git --git-dir=... --work-tree=... commit`.
    git_dir, work_tree = tmp_path / "dotfiles.git", tmp_path / "dotfiles"
    work_tree.mkdir()
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(git_dir))
    dotfiles = ("--git-dir=../dotfiles.git", "--work-tree=.")
    git(work_tree, *dotfiles, "config", "core.bare", "false")
    with IngestServer() as server:
        init(server.url)  # installs the global hook
        (work_tree / ".bashrc").write_text("alias l=ls\nalias ll='ls -l'\n")
        git(work_tree, *dotfiles, "add", ".bashrc")
        git(work_tree, *dotfiles, "commit", "-q", "-m", "bashrc", env=SESSION)
        sha = git(work_tree, *dotfiles, "rev-parse", "HEAD").stdout.strip()
        wait_until(lambda: ("dotfiles", sha) in server.commits, timeout=20, what="the commit at the ingest server")
        record = server.commits[("dotfiles", sha)]
    assert (record["lines_added"], record["files_changed"], record["agent_env"]) == (2, 1, SESSION)


def test_an_unwritable_spool_never_fails_a_commit_and_the_log_says_so(home, tmp_path):
    spool().parent.mkdir(parents=True, exist_ok=True)
    spool().write_text("")  # a file where the spool folder should be: nothing can be written in it
    repo = make_repo(tmp_path / "api")
    sha, out = commit(repo, {"a.txt": "1\n"}, "first", env=SESSION)
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
    assert hook_log()[-1].endswith(f" commit {sha}: not recorded: cannot write to {spool()}")
    doctor = json.loads(cli("doctor", "--json").stdout)
    check = next(c for c in doctor["checks"] if c["name"] == "commit spool")
    assert (check["status"], check["detail"]) == (
        "fail",
        f"{spool()} is not a folder the hook can write to: commits are not recorded",
    )


def test_a_full_disk_never_fails_a_commit_and_leaves_no_torn_record(home, tmp_path):
    if subprocess.run(["unshare", "--map-root-user", "--mount", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs `unshare --map-root-user --mount` (user namespaces) to mount a full tmpfs")
    state, out = spool().parents[1], tmp_path / "out"
    state.mkdir(parents=True, exist_ok=True)
    out.mkdir()
    repo = make_repo(tmp_path / "api")
    # In a mount namespace of its own: the state folder becomes a 16 KiB tmpfs, filled up.
    full_disk = """
mount -t tmpfs -o size=16k tmpfs "$STATE" || exit 97
head -c 1000000 /dev/zero >"$STATE/filler" 2>/dev/null
git commit -q --allow-empty -m "on a full disk" >"$OUT/stdout" 2>"$OUT/stderr"
echo $? >"$OUT/status"
ls -A "$STATE/agent-analytics/spool" >"$OUT/spool" 2>/dev/null
"""
    env = {**os.environ, **SESSION, "STATE": str(state), "OUT": str(out)}
    ran = subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", full_disk], cwd=repo, env=env)
    assert ran.returncode == 0
    assert [(out / name).read_text() for name in ("status", "stdout", "stderr", "spool")] == ["0\n", "", "", ""]
    assert hook_spool.pending(spool()) == []  # the real state folder never saw it either

    # Room again: the next commit is spooled as usual.
    sha, _ = commit(repo, {"a.txt": "1\n"}, "after the disk was cleaned up")
    assert [p.name.split("-")[0] for p in hook_spool.pending(spool())] == [sha]
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "2"  # both commits were made
    wait_until(senders_settled, timeout=30, what="the hook's sender to finish")


def test_a_record_without_its_end_waits_for_its_hook_and_is_set_aside_once_torn(home, tmp_path):
    repo = make_repo(tmp_path / "api")
    sha, _ = commit(repo, {"a.txt": "1\n"}, "first", env={"AGENT_ANALYTICS_HOOK": "off"})
    spool().mkdir(parents=True)
    writing = spool() / f"{sha}-4242{hook_spool.RECORD}"
    writing.write_bytes(f"sha={sha}\0path={repo}\0CLAUDECODE=1\0".encode())  # its hook has not written `end`
    left = json.loads(cli("hook", "flush", "--json").stdout)
    assert left == {"accepted": 0, "duplicates": 0, "rejected": 0, "remaining": 1, "error": ""}

    an_hour_ago = time.time() - 3600  # its hook was stopped for good (killed, or the disk filled up)
    os.utime(writing, (an_hour_ago, an_hour_ago))
    torn = json.loads(cli("hook", "flush", "--json").stdout)
    assert (torn["rejected"], torn["remaining"]) == (1, 0)
    assert [p.name for p in (spool() / "rejected").iterdir()] == [writing.name]
    assert hook_log()[-2].endswith(f" commit {sha}: set aside, torn")
