"""Installing the hook next to hooks a developer already has, and taking it away again."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import platformdirs
import pytest

from agent_analytics.workstation import config as workstation
from agent_analytics.workstation import hook_sender
from tests.support.net import free_port, wait_until
from tests.support.workstation import cli, commit, git, isolated_home, make_repo, senders_settled

# A developer's own post-commit hook: leaves a trace and exits non-zero.
OWN_HOOK = """#!/bin/sh
# my team's post-commit hook
echo "own hook ran in $(basename "$PWD")" >> "$HOME/own-hook.log"
exit 3
"""


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = isolated_home(tmp_path, monkeypatch)
    # Spooled commits are all these tests need from the hook: a dead exporter port.
    result = cli("init", "--yes", "--no-hook", "--exporter-url", f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 0, result.output
    return home


def write_hook(path: Path, text: str, mode: int = 0o750) -> tuple[bytes, int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)


def state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)


def spooled_shas() -> list[str]:
    return sorted(p.name.split("-")[0] for p in hook_sender.pending())


def own_hook_runs(home: Path) -> list[str]:
    log = home / "own-hook.log"
    return log.read_text().splitlines() if log.exists() else []


def settle() -> None:
    """Let the hooks' background senders finish before the temporary HOME goes."""
    wait_until(senders_settled, timeout=30, what="the hooks' senders to finish")


def test_repo_hook_is_chained_and_uninstall_restores_it_byte_for_byte(home, tmp_path):
    repo = make_repo(tmp_path / "shop")
    original = write_hook(repo / ".git" / "hooks" / "post-commit", OWN_HOOK)

    first = cli("hook", "install", "--repo", str(repo))
    assert first.exit_code == 0, first.output
    assert "kept and called first" in first.stdout
    installed = state(repo / ".git" / "hooks" / "post-commit")
    assert cli("hook", "install", "--repo", str(repo)).stdout.startswith("post-commit hook already installed")
    assert state(repo / ".git" / "hooks" / "post-commit") == installed

    sha, out = commit(repo, {"a.txt": "1\n"}, "first")
    assert own_hook_runs(home) == ["own hook ran in shop"]  # the developer's hook still runs
    assert spooled_shas() == [sha]  # and so does ours
    # Its exit status stays what the developer's hook returns.
    hooks = repo / ".git" / "hooks"
    run = subprocess.run([str(hooks / "post-commit")], cwd=repo, capture_output=True, text=True)
    assert run.returncode == 3 and run.stdout == "" and run.stderr == ""

    removed = cli("hook", "uninstall", "--repo", str(repo))
    assert removed.exit_code == 0 and "restored" in removed.stdout
    assert state(hooks / "post-commit") == original
    assert sorted(p.name for p in hooks.iterdir() if p.name.startswith("post-commit")) == ["post-commit"]
    assert cli("hook", "uninstall", "--repo", str(repo)).stdout.startswith("no agent-analytics hook")
    settle()


def test_global_install_uses_an_existing_core_hooks_path(home, tmp_path):
    shared = home / ".githooks"
    original = write_hook(shared / "post-commit", OWN_HOOK, 0o755)
    git(home, "config", "--global", "core.hooksPath", str(shared))
    gitconfig = (home / ".gitconfig").read_bytes()

    assert cli("init", "--yes").exit_code == 0  # init installs the hook globally
    assert (home / ".gitconfig").read_bytes() == gitconfig  # core.hooksPath kept as it was
    repo = make_repo(tmp_path / "api")
    sha, _ = commit(repo, {"a.txt": "1\n"}, "first")
    assert own_hook_runs(home) == ["own hook ran in api"]
    assert spooled_shas() == [sha]

    assert cli("hook", "uninstall").exit_code == 0
    assert state(shared / "post-commit") == original
    assert sorted(p.name for p in shared.iterdir()) == ["post-commit"]
    assert (home / ".gitconfig").read_bytes() == gitconfig
    settle()


def test_global_install_keeps_every_repository_hook_working(home, tmp_path):
    repo = make_repo(tmp_path / "web")
    own_post = write_hook(repo / ".git" / "hooks" / "post-commit", OWN_HOOK)
    write_hook(
        repo / ".git" / "hooks" / "pre-commit",
        '#!/bin/sh\n[ ! -e BLOCK ] || { echo "blocked by pre-commit" >&2; exit 1; }\n',
    )
    gitconfig = (home / ".gitconfig").read_bytes()

    installed = cli("hook", "install", "--global", "--json")
    assert installed.exit_code == 0, installed.output
    managed = workstation.managed_hooks_dir()
    assert git(repo, "config", "core.hooksPath").stdout.strip() == str(managed)

    sha, _ = commit(repo, {"a.txt": "1\n"}, "first")
    assert own_hook_runs(home) == ["own hook ran in web"]  # the repository's hook, hidden by core.hooksPath, runs
    assert spooled_shas() == [sha]
    (repo / "BLOCK").write_text("")
    blocked = subprocess.run(
        ["git", "commit", "-q", "-m", "x", "--allow-empty"], cwd=repo, capture_output=True, text=True
    )
    assert blocked.returncode == 1 and "blocked by pre-commit" in blocked.stderr  # pre-commit still guards

    assert cli("hook", "uninstall", "--global").exit_code == 0
    assert not managed.exists()
    assert (home / ".gitconfig").read_bytes() == gitconfig  # back to the file init found
    assert state(repo / ".git" / "hooks" / "post-commit") == own_post
    os.remove(repo / "BLOCK")
    settle()


def test_repo_install_and_uninstall_under_the_global_hook_leave_every_repository_as_it_was(home, tmp_path):
    # With the global hook, git runs the managed folder's hooks for every repository: --repo
    # must neither rewrite that shared hook nor remove it for all of them.
    web = make_repo(tmp_path / "web")
    write_hook(web / ".git" / "hooks" / "post-commit", OWN_HOOK)
    api = make_repo(tmp_path / "api")
    assert cli("hook", "install", "--global").exit_code == 0
    shared = workstation.managed_hooks_dir() / "post-commit"
    global_hook = state(shared)

    installed = cli("hook", "install", "--repo", str(web))
    assert installed.exit_code == 0, installed.output
    assert "every repository" in installed.stdout
    assert state(shared) == global_hook
    sha, _ = commit(web, {"a.txt": "1\n"}, "first")
    assert own_hook_runs(home) == ["own hook ran in web"]  # the repository's own hook still runs
    assert spooled_shas() == [sha]

    refused = cli("hook", "uninstall", "--repo", str(web))
    assert refused.exit_code == 1
    own_hooks = Path(git(web, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout.strip()) / "hooks"
    assert refused.stderr.strip() == (
        f"error: {web} runs the global hook in {shared.parent} (core.hooksPath), shared by every repository:"
        f" `agent-analytics hook uninstall --global` removes it everywhere; to skip it in this repository only,"
        f" run `git -C {web} config core.hooksPath {own_hooks}`"
    )
    assert state(shared) == global_hook
    other, _ = commit(api, {"b.txt": "1\n"}, "second")
    assert spooled_shas() == sorted([sha, other])  # the other repository keeps its hook
    settle()


def test_amended_and_rebased_commits_are_not_counted_again(home, tmp_path):
    # `git commit --amend` and every commit a rebase replays (`git pull --rebase` too) run the
    # post-commit hook with a new sha for work the hook already reported: the git history ends
    # with as many commits as were made.
    repo = make_repo(tmp_path / "api")
    assert cli("hook", "install", "--repo", str(repo)).exit_code == 0
    first, _ = commit(repo, {"a.txt": "1\n"}, "first")
    (repo / "a.txt").write_text("1\n2\n")
    git(repo, "commit", "-q", "-a", "--amend", "-m", "first, fixed")
    git(repo, "checkout", "-q", "-b", "side")
    side, _ = commit(repo, {"b.txt": "1\n"}, "on a branch")
    git(repo, "checkout", "-q", "main")
    main, _ = commit(repo, {"c.txt": "1\n"}, "on main")
    git(repo, "checkout", "-q", "side")
    git(repo, "rebase", "-q", "main")
    picked, _ = commit(repo, {"d.txt": "1\n"}, "after the rebase")  # an ordinary commit again
    git(repo, "checkout", "-q", "main")
    git(repo, "cherry-pick", side)  # a copy onto another branch is a commit of its own
    copied = git(repo, "rev-parse", "HEAD").stdout.strip()

    made = int(git(repo, "rev-list", "--count", "side").stdout) + 1  # side's history plus the copy
    assert made == 5
    assert spooled_shas() == sorted([first, side, main, picked, copied])
    settle()


def test_the_hook_never_fails_a_commit_even_without_any_config(home, tmp_path):
    repo = make_repo(tmp_path / "api")
    assert cli("hook", "install", "--repo", str(repo)).exit_code == 0
    workstation.config_path().unlink()
    sha, out = commit(repo, {"a.txt": "1\n"}, "first")
    assert out.stdout == "" and out.stderr == ""
    assert spooled_shas() == [sha]  # kept for when a config exists
    settle()
    assert "no workstation config" in hook_sender.last_outcome()


def test_a_relative_global_hooks_path_is_explained_not_guessed(home):
    git(home, "config", "--global", "core.hooksPath", ".husky")
    result = cli("hook", "install")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: the global core.hooksPath '.husky' is relative to each repository: use --repo PATH instead"
    )
    assert not (home / ".husky").exists()


def test_hook_install_explains_a_path_that_is_not_a_repository(home, tmp_path):
    result = cli("hook", "install", "--repo", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path} is not a git repository: pass the path of one (or use --global)"


@pytest.mark.parametrize("xdg_state_home", [None, "/srv/state", ""])
def test_the_hook_spools_where_platformdirs_says_state_lives(monkeypatch, tmp_path, xdg_state_home):
    # The hook computes the folder itself (it cannot afford importing platformdirs): same answer.
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg_state_home is None:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_STATE_HOME", xdg_state_home)
    assert hook_sender.spool_dir() == Path(platformdirs.user_state_dir("agent-analytics")) / "spool"
