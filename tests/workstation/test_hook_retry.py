"""Nothing waits for a person: commits spooled while the exporter is away reach it once it answers
again, at the next commit or by the sender that stays on to retry, with session evidence and team."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_analytics.workstation import hook_sender
from tests.support.net import free_port, wait_until
from tests.support.workstation import cli, commit, hook_log, isolated_home, make_repo, senders_settled
from tests.workstation.test_hook_delivery import REPO, SESSION, commits, exporter, init, spooled

BY_SESSION = {"repo": REPO, "agent": "claude-code", "evidence": "session", "team_id": "platform"}


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def lines(part: str) -> list[str]:
    return [line for line in hook_log() if part in line]


def test_commits_made_while_the_exporter_is_down_reach_it_when_it_returns_without_flush_or_commit(
    home, tmp_path, monkeypatch
):
    monkeypatch.setenv(hook_sender.RETRY_VARIABLE, "60")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    init(url, "--team", "platform")
    repo = make_repo(tmp_path / "api", origin="git@github.com:acme/api.git")
    for i in range(3):
        commit(repo, {f"f{i}.py": "x\n" * (i + 1)}, f"while down {i}", env=SESSION)
    wait_until(senders_settled, timeout=30, what="each hook's sender to try once")
    assert len(spooled()) == 3
    wait_until(hook_sender.retrying, timeout=10, what="a sender staying on to retry")
    status = json.loads(cli("hook", "status", "--json").stdout)
    assert (status["spooled"], status["retrying"]) == (3, True)

    with exporter(tmp_path / "exporter", port=port):
        wait_until(lambda: commits(url) == 3, timeout=30, what="the spooled commits at the exporter")
        assert commits(url, **BY_SESSION) == 3
        assert spooled() == []
        wait_until(lambda: not hook_sender.retrying(), timeout=10, what="the retrying sender to end")
    assert len(lines(" retry: sent 3, duplicates 0")) == 1  # by the one retrier, each commit once
    assert lines(" flush: ") == []  # nobody ran `hook flush`


def test_the_next_commit_sends_the_commits_spooled_before_it(home, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    init(url, "--team", "platform")
    repo = make_repo(tmp_path / "api", origin="git@github.com:acme/api.git")
    commit(repo, {"a.py": "a\n"}, "while down", env=SESSION)
    wait_until(senders_settled, timeout=30, what="the hook's sender to try")
    assert len(spooled()) == 1 and not hook_sender.retrying()  # this test's senders do not retry

    with exporter(tmp_path / "exporter", port=port):
        commit(repo, {"b.py": "b\nb\n"}, "exporter up again", env=SESSION)
        wait_until(lambda: commits(url) == 2, timeout=30, what="both commits at the exporter")
        assert commits(url, **BY_SESSION) == 2
        assert spooled() == []
    assert lines(" sender: ")[-1].endswith(" sender: sent 2, duplicates 0, rejected 0; 0 spooled")


def test_the_retrying_sender_gives_up_after_its_window_and_never_spins(home, tmp_path, monkeypatch):
    monkeypatch.setenv(hook_sender.RETRY_VARIABLE, "3")  # seconds after the newest spooled commit
    init(f"http://127.0.0.1:{free_port()}")
    repo = make_repo(tmp_path / "api")
    sha, _ = commit(repo, {"a.py": "a\n"}, "the exporter never comes back", env=SESSION)
    wait_until(lambda: lines(" retry: gave up"), timeout=30, what="the retrying sender to give up")
    wait_until(lambda: not hook_sender.retrying(), timeout=10, what="the retrying sender to end")
    # Pauses of 1 s, then 2 s, then 4 s: within 3 s of the commit there is room for one attempt.
    assert len(lines(" retry: error: exporter at")) <= 1
    assert lines(" retry: gave up")[-1].endswith(
        " retry: gave up; 1 spooled until the next commit or `agent-analytics hook flush`"
    )
    assert [p.name.split("-")[0] for p in hook_sender.pending()] == [sha]
