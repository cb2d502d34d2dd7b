"""The post-commit hook end to end: real `git commit`s, the real exporter, a server that dies."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest

from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.workstation import hook_sender
from tests.support.ingest_server import IngestServer
from tests.support.net import free_port, wait_until
from tests.support.workstation import (
    cli,
    commit,
    git,
    hook_log,
    isolated_home,
    make_repo,
    senders_settled,
    series_value,
)

SESSION = {
    "CLAUDECODE": "1",
    "CLAUDE_CODE_SESSION_ID": "0c4f1a9e-5b7d-4e21-9a43-1f2e3d4c5b6a",
    "AI_AGENT": "claude-code_2.1.197_agent",
}
CO_AUTHOR = "Co-Authored-By: Claude <noreply@anthropic.com>"
REPO = "github.com/acme/api"
DEVELOPER = "ada.lovelace@example.com"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


@contextmanager
def exporter(data_dir: Path, port: int = 0, tokens: tuple[str, ...] = ()):
    service = ExporterService(
        parse_config({"auth_tokens": list(tokens)} if tokens else {}),
        port=port,
        data_dir=data_dir,
        scan=False,
        poll=False,
    )
    service.start()
    try:
        yield f"http://127.0.0.1:{service.port}"
    finally:
        service.stop()


def init(exporter_url: str, *extra: str) -> None:
    # The collector endpoint is not used by the hook: a dead port is fine here.
    result = cli(
        "init", "--yes", "--endpoint", f"http://127.0.0.1:{free_port()}", "--exporter-url", exporter_url, *extra
    )
    assert result.exit_code == 0, result.output


def commits(url: str, **labels: str) -> float:
    return series_value(f"{url}/metrics", "agent_analytics_git_commits_total", **labels)


def spooled() -> list[str]:
    return [p.name for p in hook_sender.pending()]


def test_commit_made_in_a_claude_code_session_reaches_the_exporter_with_its_evidence(home, tmp_path):
    repo = make_repo(tmp_path / "api", origin="git@github.com:acme/api.git")
    with exporter(tmp_path / "exporter") as url:
        init(url, "--team", "platform")
        sha, out = commit(
            repo,
            {"app.py": "a\nb\nc\n", "README.md": "x\ny\n"},
            f"Add app\n\n{CO_AUTHOR}",
            env={**SESSION, "ANTHROPIC_API_KEY": "sk-must-not-leave"},
        )
        assert out.stdout == "" and out.stderr == ""  # the hook prints nothing
        wait_until(lambda: commits(url) == 1, timeout=20, what="the commit at the exporter")
        by_session = {
            "repo": REPO,
            "developer_id": DEVELOPER,
            "team_id": "platform",
            "agent": "claude-code",
            "evidence": "session",
        }
        assert commits(url, **by_session) == 1
        assert series_value(f"{url}/metrics", "agent_analytics_git_lines_added_total", **by_session) == 5
        assert series_value(f"{url}/metrics", "agent_analytics_git_files_changed_total", **by_session) == 2

        # The developer's own commit, outside any agent: counted, attributed to no agent.
        commit(repo, {"app.py": "a\nB\nc\n"}, "Fix b")
        wait_until(lambda: commits(url) == 2, timeout=20, what="the second commit at the exporter")
        human = {"repo": REPO, "agent": "none", "evidence": "none"}
        assert commits(url, **human) == 1
        assert series_value(f"{url}/metrics", "agent_analytics_git_lines_deleted_total", **human) == 1
        wait_until(lambda: spooled() == [], timeout=10, what="an empty spool")
    assert len(sha) == 40


def test_the_hook_posts_the_documented_record_and_only_allow_listed_variables(home, tmp_path):
    repo = make_repo(tmp_path / "api", origin="https://github.com/acme/api.git")
    with IngestServer(token="t0ken") as server:
        init(server.url, "--api-key", "t0ken", "--team", "payments")
        sha, _ = commit(
            repo,
            {"a.txt": "1\n2\n3\n4\n"},
            f"Four lines\n\n{CO_AUTHOR}\nAssisted-by: Claude",
            env={**SESSION, "OPENAI_API_KEY": "sk-x", "AIDER_OPENAI_API_KEY": "sk-y", "CODEX_SANDBOX": "seatbelt"},
        )
        wait_until(lambda: (REPO, sha) in server.commits, timeout=20, what="the commit at the ingest server")
        record = server.commits[(REPO, sha)]
    assert {k: v for k, v in record.items() if k not in ("authored_at", "committed_at")} == {
        "repo": REPO,
        "sha": sha,
        "author_name": "Ada Lovelace",
        "author_email": "Ada.Lovelace@Example.com",
        "lines_added": 4,
        "lines_deleted": 0,
        "files_changed": 1,
        "trailers": [CO_AUTHOR, "Assisted-by: Claude"],
        "author_is_bot": False,
        "agent_env": {**SESSION, "CODEX_SANDBOX": "seatbelt"},
        "developer_id": DEVELOPER,  # the workstation's ids from init, as on Claude Code's telemetry
        "team_id": "payments",
    }
    assert isinstance(record["committed_at"], int) and record["committed_at"] == record["authored_at"]


def test_the_hook_reads_a_commit_as_the_exporter_scan_does_merges_and_mailmap(home, tmp_path):
    """Whichever sees a commit first, hook or scan, it must count the same: a merge adds no
    lines of its own (its branch's commits already did) and authors go through .mailmap."""
    repo = make_repo(tmp_path / "api", origin="https://github.com/acme/api.git")
    (repo / ".mailmap").write_text("Ada Lovelace <ada@example.com> <Ada.Lovelace@Example.com>\n")
    commit(repo, {".mailmap": (repo / ".mailmap").read_text(), "a.txt": "1\n"}, "first")
    git(repo, "checkout", "-q", "-b", "feature")
    with IngestServer() as server:
        init(server.url)
        branch_sha, _ = commit(repo, {"b.txt": "1\n2\n3\n"}, "three lines on a branch")
        git(repo, "checkout", "-q", "main")
        commit(repo, {"c.txt": "1\n"}, "one line on main")
        # A merge reaches post-commit when `git commit` concludes it (after conflicts, or --no-commit).
        git(repo, "merge", "-q", "--no-ff", "--no-commit", "feature")
        git(repo, "commit", "-q", "-m", "Merge feature")
        merge_sha = git(repo, "rev-parse", "HEAD").stdout.strip()
        wait_until(lambda: (REPO, merge_sha) in server.commits, timeout=20, what="the merge at the ingest server")
        merge, branch = server.commits[(REPO, merge_sha)], server.commits[(REPO, branch_sha)]
    assert (merge["lines_added"], merge["lines_deleted"], merge["files_changed"]) == (0, 0, 0)
    assert (branch["lines_added"], branch["files_changed"]) == (3, 1)
    assert (merge["author_name"], merge["author_email"]) == ("Ada Lovelace", "ada@example.com")


def test_a_commit_in_a_linked_worktree_names_the_repository_by_its_origin(home, tmp_path):
    repo = make_repo(tmp_path / "api", origin="ssh://git@github.com:22/acme/api.git")
    commit(repo, {"a.txt": "1\n"}, "first")
    git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "api-feature"))
    with IngestServer() as server:
        init(server.url)
        sha, _ = commit(tmp_path / "api-feature", {"b.txt": "2\n"}, "in the worktree")
        wait_until(lambda: (REPO, sha) in server.commits, timeout=20, what="the worktree's commit")
    assert sorted(server.commits) == [(REPO, sha)]  # the first commit predates init: no hook yet


def test_dead_exporter_spools_commits_and_flush_delivers_each_exactly_once(home, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    init(url)
    repo = make_repo(tmp_path / "api", origin="git@github.com:acme/api.git")
    shas = []
    for i in range(3):
        sha, out = commit(repo, {f"f{i}.py": "x\n" * (i + 1)}, f"change {i}", env=SESSION)
        assert out.stdout == "" and out.stderr == ""  # the commit succeeded silently
        shas.append(sha)
    assert sorted(name.split("-")[0] for name in spooled()) == sorted(shas)
    # The hooks' background senders tried, failed, and left the commits where they were.
    wait_until(senders_settled, timeout=30, what="the hooks' senders to finish")
    sends = [line for line in hook_log() if " sender: " in line]
    assert sends and all("error: exporter at" in line or "another send was running" in line for line in sends)
    assert len(spooled()) == 3
    kept = {name: (hook_sender.spool_dir() / name).read_text() for name in spooled()}

    with exporter(tmp_path / "exporter", port=port):
        result = cli("hook", "flush", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {"accepted": 3, "duplicates": 0, "rejected": 0, "remaining": 0, "error": ""}
        assert spooled() == []
        assert commits(url, repo=REPO, agent="claude-code", evidence="session") == 3
        assert series_value(f"{url}/metrics", "agent_analytics_git_lines_added_total") == 1 + 2 + 3

        # Sent but not deleted (say, killed in between): sending again doubles nothing.
        name, text = next(iter(kept.items()))
        (hook_sender.spool_dir() / name).write_text(text)
        again = json.loads(cli("hook", "flush", "--json").stdout)
        assert (again["accepted"], again["duplicates"], again["remaining"]) == (0, 1, 0)
        assert commits(url) == 3
        assert series_value(f"{url}/metrics", "agent_analytics_ingest_commits_total", result="duplicate") == 1

        # With the exporter up, the next commit's hook also delivers right away.
        commit(repo, {"f3.py": "y\n"}, "change 3", env=SESSION)
        wait_until(lambda: commits(url) == 4, timeout=20, what="the fourth commit")
    assert "flush: sent 3, duplicates 0" in "\n".join(hook_log())


def test_refused_key_keeps_commits_until_the_right_key_is_configured(home, tmp_path):
    repo = make_repo(tmp_path / "api")
    with exporter(tmp_path / "exporter", tokens=("right-key",)) as url:
        init(url, "--api-key", "wrong-key")
        commit(repo, {"a.py": "1\n"}, "one")
        wait_until(senders_settled, timeout=30, what="a refused background send")
        assert "401" in hook_sender.last_outcome()
        flushed = cli("hook", "flush")
        assert flushed.exit_code == 1
        assert flushed.stderr.startswith("error: exporter answered 401: ")
        assert flushed.stderr.rstrip().endswith("(1 commit(s) stay spooled)")
        assert len(spooled()) == 1

        init(url, "--api-key", "right-key")
        flushed = cli("hook", "flush", "--json")
        assert flushed.exit_code == 0, flushed.output
        assert json.loads(flushed.stdout)["accepted"] == 1
        assert commits(url, repo="api") == 1


def test_an_invalid_spool_file_is_set_aside_and_the_rest_delivered(home, tmp_path):
    repo = make_repo(tmp_path / "api")
    port = free_port()
    init(f"http://127.0.0.1:{port}")
    sha, _ = commit(repo, {"a.py": "1\n"}, "one")
    wait_until(senders_settled, timeout=30, what="the hook's failed send")
    capture = json.loads(next(iter(hook_sender.pending())).read_text())
    bad = dict(capture, log=capture["log"].replace(sha, "not-a-sha", 1))
    (hook_sender.spool_dir() / "not-a-sha-0.json").write_text(json.dumps(bad))
    (hook_sender.spool_dir() / "truncated-0.json").write_text('{"repo": "api", "sha')
    with exporter(tmp_path / "exporter", port=port) as url:
        result = json.loads(cli("hook", "flush", "--json").stdout)
        assert (result["accepted"], result["rejected"], result["remaining"]) == (1, 2, 0)
        assert commits(url, repo="api") == 1
    assert sorted(p.name for p in (hook_sender.spool_dir() / "rejected").iterdir()) == [
        "not-a-sha-0.json",
        "truncated-0.json",
    ]
    assert sha


def test_flush_with_nothing_spooled_needs_no_config_and_succeeds(home):
    result = cli("hook", "flush")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "sent 0 commit(s), 0 already known, 0 still spooled"
