"""Git commits carrying every marker, plus commits posted by the git hook, scraped by a real Prometheus."""

import shutil
import subprocess
import time
from collections import defaultdict

import pytest

from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from tests.exporter.helpers import GitRepo
from tests.support import loopback
from tests.support.prometheus import Prometheus
from tests.support.scrape import scrape, total

DEV1 = "Dev One <dev.one@example.com>"
SESSION_ENV = {"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": "0b6c2d1e-5a7f-4f0e-9c35-2f1d3e4a5b6c",
               "AI_AGENT": "claude-code_2.1.197_agent"}  # fmt: skip

# message, author, lines per file, files, expected agent, expected evidence
MARKED = [
    ("feat: parser\n\nCo-Authored-By: Claude <noreply@anthropic.com>", DEV1, 3, 1, "claude-code", "trailer"),
    ("fix: edge\n\n🤖 Generated with Claude Code\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>",
     DEV1, 4, 2, "claude-code", "trailer"),
    ("docs\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", DEV1, 5, 1, "copilot", "trailer"),
    ("Add retries", "copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>", 6, 1, "copilot", "trailer"),
    ("refactor\n\nCo-authored-by: Codex <noreply@openai.com>", DEV1, 7, 1, "codex", "trailer"),
    ("ui\n\nCo-authored-by: Cursor <cursoragent@cursor.com>", DEV1, 8, 1, "cursor", "trailer"),
    ("tests\n\nCo-authored-by: aider (anthropic/claude-sonnet-4) <aider@aider.chat>", DEV1, 9, 1, "aider", "trailer"),
    ("lint", "Dev One (aider) <dev.one@example.com>", 10, 1, "aider", "trailer"),
    ("deps", "devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>", 11, 1,
     "devin", "trailer"),
    ("cli\n\nAssisted-by: Gemini CLI", DEV1, 12, 1, "gemini-cli", "trailer"),
    ("gen\n\nGenerated-by: InternalCodeBot 1.2", DEV1, 13, 1, "other-ai", "trailer"),
    ("api\n\nAssisted-by: Claude Code", DEV1, 2, 3, "claude-code", "trailer"),
    ("plain human work", DEV1, 20, 1, "none", "none"),
]  # fmt: skip


def hook_commit(
    repo: str, sha: str, added: int, deleted: int, files: int, env: dict, trailers=(), at: int | None = None
) -> dict:
    """What the hook posts; `at` is the commit's own time when it exists in a test repository."""
    now = int(time.time()) if at is None else at
    return {
        "repo": repo,
        "sha": sha,
        "author_name": "Dev One",
        "author_email": "Dev.One@example.com",
        "authored_at": now,
        "committed_at": now,
        "lines_added": added,
        "lines_deleted": deleted,
        "files_changed": files,
        "trailers": list(trailers),
        "author_is_bot": False,
        "agent_env": env,
    }


@pytest.fixture
def history(tmp_path):
    """A repository with every marker: (repo, {(agent, evidence): [commits, added, deleted, files]}, first sha)."""
    repo = GitRepo(tmp_path / "api", origin="git@github.com:acme/api.git")
    expected = defaultdict(lambda: [0, 0, 0, 0])
    (repo.path / "shared.txt").write_text("".join(f"s{i}\n" for i in range(10)))
    repo.commit("initial", lines=5, files=1, author=DEV1)  # 10 + 5 added, 2 files
    expected[("none", "none")] = [1, 15, 0, 2]
    shas = []
    for message, author, lines, files, agent, evidence in MARKED:
        shas.append(repo.commit(message, lines=lines, files=files, author=author))
        e = expected[(agent, evidence)]
        e[0] += 1
        e[1] += lines * files
        e[3] += files
    repo.commit("trim\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>", lines=1, delete=4, author=DEV1)
    expected[("claude-code", "trailer")] = [
        x + y for x, y in zip(expected[("claude-code", "trailer")], [1, 1, 4, 2], strict=True)
    ]
    # A branch never merged still counts (all branches are scanned).
    repo.git("checkout", "-q", "-b", "experiment")
    repo.commit("spike\n\nCo-authored-by: Codex <noreply@openai.com>", lines=2, author=DEV1)
    expected[("codex", "trailer")] = [x + y for x, y in zip(expected[("codex", "trailer")], [1, 2, 0, 1], strict=True)]
    repo.git("checkout", "-q", "main")
    # .mailmap: an old address of Dev Two is counted under the canonical one.
    (repo.path / ".mailmap").write_text("Dev Two <dev.two@example.com> <old.two@example.org>\n")
    repo.commit("mailmap", lines=1, author="Old Two <old.two@example.org>")
    expected[("none", "none")] = [
        x + y for x, y in zip(expected[("none", "none")], [1, 2, 0, 2], strict=True)
    ]  # .mailmap + 1 file
    return repo, expected, shas[0]


def config_for(repo: GitRepo, **extra):
    return parse_config(
        {
            "repos": [str(repo.path)],
            "identities": {"dev.one@example.com": {"developer_id": "dev-one", "team_id": "platform"}},
            "auth_tokens": ["hook-secret"],
            **extra,
        }
    )


def git_series(metrics: dict) -> dict:
    return {
        name: sorted((tuple(sorted(lbl.items())), v) for lbl, v in samples)
        for name, samples in metrics.items()
        if name.startswith("agent_analytics_git_") and "scan" not in name
    }


@pytest.mark.prometheus
def test_every_marker_and_hook_session_evidence_give_exact_counts_in_prometheus(history, tmp_path):
    repo, expected, claude_plain_sha = history
    assert "Co-Authored-By: Claude <noreply" in repo.git("log", "-1", "--format=%B", claude_plain_sha)

    svc = ExporterService(config_for(repo), port=0, data_dir=tmp_path / "data", scan=False).start()
    base = f"http://127.0.0.1:{svc.port}"
    auth = {"Authorization": "Bearer hook-secret"}
    # The hook saw Claude Code's environment for one commit of this repository (before any scan)
    # and for two commits of another repository this exporter does not scan.
    posted = [
        hook_commit("github.com/acme/api", claude_plain_sha, 3, 0, 1, SESSION_ENV,
                    ["Co-Authored-By: Claude <noreply@anthropic.com>"],
                    at=int(repo.git("log", "-1", "--format=%ct", claude_plain_sha))),
        hook_commit("github.com/acme/web", "a" * 40, 30, 4, 2, SESSION_ENV),
        hook_commit("github.com/acme/web", "b" * 40, 12, 0, 1, {"CLAUDE_CODE_SESSION_ID": "s2"}),
    ]  # fmt: skip
    r = loopback.post(f"{base}/api/v1/commits", json={"commits": posted}, headers=auth)
    assert r.status_code == 200 and r.json() == {"accepted": 3, "duplicates": 0}
    assert svc.scan_now() == len(MARKED) + 4 - 1  # all but the commit the hook already sent

    # the hook's evidence wins for the commit it saw first; counted once
    api = expected
    api[("claude-code", "trailer")] = [
        x - y for x, y in zip(api[("claude-code", "trailer")], [1, 3, 0, 1], strict=True)
    ]
    api[("claude-code", "session")] = [1, 3, 0, 1]

    with Prometheus(targets={"exporter": [f"127.0.0.1:{svc.port}"]}) as prom:
        prom.wait_targets_up()
        prom.wait_for('sum(agent_analytics_git_commits_total{repo="github.com/acme/web"})', 2)
        by = {}
        for metric in ("commits", "lines_added", "lines_deleted", "files_changed"):
            rows = prom.query(
                f'sum by (agent, evidence) (agent_analytics_git_{metric}_total{{repo="github.com/acme/api"}})'
            )
            for row in rows:
                key = (row["metric"]["agent"], row["metric"]["evidence"])
                by.setdefault(key, [0, 0, 0, 0])
                by[key][["commits", "lines_added", "lines_deleted", "files_changed"].index(metric)] = float(
                    row["value"][1]
                )
        assert by == {k: [float(x) for x in v] for k, v in api.items()}
        # every marker in the table was recognised
        assert {a for a, _ in by} == {"claude-code", "copilot", "codex", "cursor", "aider", "devin", "gemini-cli",
                                      "other-ai", "none"}  # fmt: skip
        assert prom.scalar('sum(agent_analytics_git_commits_total{repo="github.com/acme/api"})') == len(MARKED) + 4
        # hook-only repository: Claude Code sessions, 42 lines added, 4 deleted
        assert prom.scalar('sum(agent_analytics_git_commits_total{repo="github.com/acme/web",evidence="session",'
                           'agent="claude-code",developer_id="dev-one",team_id="platform"})') == 2  # fmt: skip
        assert prom.scalar('sum(agent_analytics_git_lines_added_total{repo="github.com/acme/web"})') == 42
        assert prom.scalar('sum(agent_analytics_git_lines_deleted_total{repo="github.com/acme/web"})') == 4
        # identity: mapped developer/team, mailmap canonical e-mail as default developer_id
        assert prom.scalar('sum(agent_analytics_git_commits_total{developer_id="dev.two@example.com"})') == 1
        assert prom.scalar('sum(agent_analytics_git_commits_total{developer_id="old.two@example.org"})') is None
        assert prom.scalar('sum(agent_analytics_git_commits_total{repo="github.com/acme/api",team_id="platform"})') == (
            len(MARKED) + 4 - 1 - 2  # all but Dev Two, and the two bot-authored commits
        )
        assert prom.scalar('agent_analytics_git_last_commit_timestamp_seconds{repo="github.com/acme/api"}') == float(
            repo.git("log", "--all", "-1", "--format=%ct", "--date-order")
        )

        # restart on the same port with the same data dir: no counter moves, nothing resets
        before = git_series(scrape(base))
        port = svc.port
        svc.stop()
        svc = ExporterService(config_for(repo), port=port, data_dir=tmp_path / "data", scan=False).start()
        assert git_series(scrape(base)) == before
        assert svc.scan_now() == 0
        r = loopback.post(f"{base}/api/v1/commits", json={"commits": posted}, headers=auth)
        assert r.json() == {"accepted": 0, "duplicates": 3}
        assert git_series(scrape(base)) == before
        prom.scrape_settle(3)
        assert prom.scalar("sum(resets(agent_analytics_git_commits_total[5m]))") == 0
        assert prom.scalar("sum(resets(agent_analytics_git_lines_added_total[5m]))") == 0
        assert prom.scalar('sum(agent_analytics_git_commits_total{repo="github.com/acme/api"})') == len(MARKED) + 4
    svc.stop()


def test_incremental_scan_reads_only_new_commits_and_survives_rewritten_history(tmp_path):
    repo = GitRepo(tmp_path / "lib")
    for i in range(5):
        repo.commit(f"c{i}", lines=i + 1)
    svc = ExporterService(parse_config({"repos": [str(repo.path)]}), port=0, data_dir=tmp_path / "d", scan=False)
    scanner = svc.scanners[0]
    first = scanner.scan()
    assert (first.new_commits, first.seen_commits) == (5, 5)
    repo.commit("c5\n\nCo-authored-by: Codex <noreply@openai.com>", lines=6)
    second = scanner.scan()
    assert (second.new_commits, second.seen_commits) == (1, 1)  # only what is new since the last tips

    # a stash and a note are bookkeeping commits, not work: they are not counted
    (repo.path / "wip.txt").write_text("wip\n")
    repo.git("add", "wip.txt")
    repo.git("stash", "-q")
    repo.git("notes", "add", "-m", "reviewed", "HEAD")
    assert scanner.scan().new_commits == 0

    # A branch scanned before is deleted and its commits pruned: the old tip no longer exists.
    repo.git("checkout", "-q", "-b", "tmp")
    gone = repo.commit("short-lived", lines=7)
    assert scanner.scan().new_commits == 1
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-D", "tmp")
    repo.git("reflog", "expire", "--expire=now", "--all")
    repo.git("gc", "-q", "--prune=now")
    assert subprocess.run(["git", "cat-file", "-e", gone], cwd=repo.path).returncode != 0
    repo.commit("after gc", lines=8)
    third = scanner.scan()  # falls back to a full read; the store keeps each commit once
    assert third.new_commits == 1
    totals = svc.store.totals()
    assert sum(t.commits for t in totals.values()) == 8
    assert sum(t.lines_added for t in totals.values()) == sum(range(1, 9))
    m = {k[3]: v.commits for k, v in totals.items()}
    assert m == {"none": 7, "codex": 1}
    svc.store.close()


def test_a_repository_that_fails_to_scan_counts_an_error_and_others_still_count(tmp_path):
    good = GitRepo(tmp_path / "good")
    good.commit("one", lines=2)
    broken = GitRepo(tmp_path / "not-a-repo")
    broken.commit("one", lines=1)
    cfg = parse_config({"repos": [str(good.path), str(broken.path)]})
    shutil.rmtree(broken.path / ".git")  # the repository breaks after the exporter started
    with ExporterService(cfg, port=0, data_dir=tmp_path / "d", scan=False) as svc:
        assert svc.scan_now() == 1
        m = scrape(f"http://127.0.0.1:{svc.port}")
    assert total(m, "agent_analytics_git_scan_errors_total", repo="not-a-repo") == 1
    assert total(m, "agent_analytics_git_scan_errors_total", repo="good") == 0
    assert total(m, "agent_analytics_git_commits_total", repo="good") == 1


def test_a_scan_interrupted_by_stop_resumes_without_counting_twice(tmp_path):
    path = tmp_path / "big"
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    n = 12_000  # more than two store batches
    stream = "".join(
        f"commit refs/heads/main\nmark :{i}\ncommitter Dev <dev@example.com> {1_700_000_000 + i} +0000\n"
        f"data 3\nc{i % 10}\n" + (f"from :{i - 1}\n" if i > 1 else "") + "\n"
        for i in range(1, n + 1)
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=stream.encode(), check=True)
    cfg = parse_config({"repos": [str(path)]})
    svc = ExporterService(cfg, port=0, data_dir=tmp_path / "d").start()  # the first scan starts at once
    svc.stop()  # may land mid-scan: what was stored stays, the tips are not saved
    stored = svc.store.commit_count()
    assert stored <= n
    svc = ExporterService(cfg, port=0, data_dir=tmp_path / "d", scan=False)
    assert svc.scan_now() == n - stored
    assert svc.store.commit_count() == n
    assert svc.store.totals() == {}  # commits from 2023: history, written at their own times
    assert svc.store.history_pending() == n  # one commit increment each (no files in these commits)
    svc.store.close()
