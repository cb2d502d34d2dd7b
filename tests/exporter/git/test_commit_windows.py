"""Every window counts exactly the commits made in it: a repository added with 60 days of history,
and backfill before or after the scan, against `git log --since/--until` in a real Prometheus."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.vocabulary.promql import growth
from tests.support.net import free_port
from tests.support.prometheus import Prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.long]

DAY = 86400
CLAUDE = "Co-Authored-By: Claude <noreply@anthropic.com>"
COMMITS = "agent_analytics_git_commits_total"
GIT_COUNTERS = [
    f"agent_analytics_git_{name}_total" for name in ("commits", "lines_added", "lines_deleted", "files_changed")
]
IDENTITIES = {"dev@acme.dev": {"developer_id": "dev", "team_id": "core"}}


def git(repo: Path, *args: str, at: int | None = None, email: str = "dev@acme.dev") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": "Dev",
           "GIT_COMMITTER_EMAIL": email, "GIT_CONFIG_GLOBAL": "/dev/null"}  # fmt: skip
    if at is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{at} +0000"
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def make_history(path: Path, now: int) -> Path:
    """30 commits over 60 days (about 15 in the last 30, 3 in the last week), one 2 hours old;
    every other one by Claude Code, every third by someone without an identity mapping."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "remote", "add", "origin", "git@github.com:acme/api.git")
    ages = [60 * DAY - i * 2 * DAY - 3 * 3600 - 17 for i in range(29)] + [2 * 3600 + 17]
    for i, age in enumerate(ages):
        (path / "f.txt").write_text(f"{i}\n" * (i + 1))
        git(path, "add", "f.txt")
        message = f"change {i}" + (f"\n\n{CLAUDE}" if i % 2 else "")
        git(path, "commit", "-q", "-m", message, at=now - age, email="other@acme.dev" if i % 3 == 0 else "dev@acme.dev")
    return path


def truth(repo: Path, start: int, end: int, **where: str) -> int:
    """Commits with a commit time in [start, end], from git itself."""
    out = git(repo, "log", "--all", f"--since=@{start}", f"--until=@{end}", "--format=%ae")
    emails = [e for e in out.split("\n") if e]
    if where.get("team_id") == "core":
        emails = [e for e in emails if e == "dev@acme.dev"]
    return len(emails)


def figure(prom: Prometheus, at: int, seconds: int, selector: str = COMMITS) -> int:
    result = prom.query(f"sum({growth(selector, f'{seconds}s')})", at=at)
    return round(float(result[0]["value"][1])) if result else 0


def month_start(t: int) -> int:
    d = datetime.fromtimestamp(t, UTC)
    return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp())


def windows(at: int) -> dict[str, int]:
    return {"1h": 3600, "1d": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY, "mtd": at - month_start(at)}


def no_resets(prom: Prometheus, at: int) -> bool:
    """resets() of every git counter series over 90 days is 0 (and the series exist)."""
    results = [prom.query(f"sum(resets({name}[90d]))", at=at) for name in GIT_COUNTERS]
    return all(r and float(r[0]["value"][1]) == 0 for r in results)


def exporter_for(repo: Path, prom: Prometheus, data: Path, port: int) -> ExporterService:
    cfg = parse_config({"repos": [str(repo)], "identities": IDENTITIES, "prometheus_url": prom.url})
    return ExporterService(cfg, port=port, data_dir=data, scan=False, poll=False)


def live_commit(repo: Path, i: int) -> None:
    (repo / "g.txt").write_text(f"live {i}\n")
    git(repo, "add", "g.txt")
    git(repo, "commit", "-q", "-m", f"live {i}\n\n{CLAUDE}")


def assert_exact(prom: Prometheus, repo: Path, at: int) -> None:
    for name, seconds in windows(at).items():
        for where in ({}, {"team_id": "core"}):
            selector = COMMITS + ('{team_id="core"}' if where else "")
            got, want = figure(prom, at, seconds, selector), truth(repo, at - seconds, at, **where)
            assert got == want, f"{name} window ending {at} {where}: Prometheus says {got}, git log {want}"


def test_a_repository_added_with_60_days_of_history_counts_each_commit_at_its_time(tmp_path):
    now = int(time.time())
    repo = make_history(tmp_path / "api", now)
    port = free_port()
    with Prometheus(targets={"exporter": [f"127.0.0.1:{port}"]}, remote_write=True) as prom:
        svc = exporter_for(repo, prom, tmp_path / "d", port).start()
        try:
            assert svc.scan_now() == 30
            assert svc.store.history_pending() == 0  # all 30 written into Prometheus at their own times
            assert svc.store.totals() == {}  # none of them moves a live counter: no jump today
            for i in range(2):  # two commits made now: the live counters take them
                live_commit(repo, i)
            assert svc.scan_now() == 2
            prom.wait_for(f'sum({COMMITS}{{source!="backfill"}})', 2)
            prom.scrape_settle()
            at = int(time.time())
            assert truth(repo, at - 7 * DAY, at) == 5 and truth(repo, at - 30 * DAY, at) == 17
            assert_exact(prom, repo, at)  # the day it is added
            # A restart with a rescan changes nothing.
            svc.stop()
            svc = exporter_for(repo, prom, tmp_path / "d", port).start()
            assert svc.scan_now() == 0 and svc.store.history_pending() == 0
            prom.scrape_settle()
            at = int(time.time())
            for later in (0, 3 * DAY, 7 * DAY):  # and a week later, by the query time
                assert_exact(prom, repo, at + later)
            assert no_resets(prom, at)
        finally:
            svc.stop()


def backfill(repo: Path, prom: Prometheus, home: Path) -> str:
    config = home / "exporter.yaml"
    config.write_text("identities:\n  dev@acme.dev: {developer_id: dev, team_id: core}\n")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".d"),
           "GIT_CONFIG_GLOBAL": "/dev/null"}  # fmt: skip
    args = ["backfill", "git", str(repo), "--config", str(config), "--prometheus", prom.url]
    args += ["--prometheus-data", str(prom.data_dir)]
    result = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", *args], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("order", ["backfill-then-scan", "scan-then-backfill"])
def test_backfill_and_scan_in_either_order_give_the_same_exact_figures(tmp_path, order):
    now = int(time.time())
    repo = make_history(tmp_path / "api", now)
    port = free_port()
    prom = Prometheus(targets={"exporter": [f"127.0.0.1:{port}"]}, remote_write=True)
    svc = None
    try:
        prom.start()
        if order == "backfill-then-scan":
            out = backfill(repo, prom, tmp_path)
            assert "github.com/acme/api: 29 commits backfilled" in out  # the newest is inside Prometheus' head
        svc = exporter_for(repo, prom, tmp_path / "d", port).start()
        assert svc.scan_now() == 30 and svc.store.history_pending() == 0
        prom.wait_for(
            'agent_analytics_git_live_start_timestamp_seconds{repo="github.com/acme/api"}',
            svc.store.live_starts()["github.com/acme/api"],
        )
        if order == "scan-then-backfill":
            out = backfill(repo, prom, tmp_path)
            assert "github.com/acme/api: 29 commits backfilled" in out and "the exporter counts it from" in out
        prom.stop()  # a restart reads the new blocks at once (a running Prometheus takes up to a minute)
        prom.start()
        live_commit(repo, 0)
        assert svc.scan_now() == 1
        prom.wait_for(f'sum({COMMITS}{{source!="backfill"}})', 1)
        prom.scrape_settle()
        at = int(time.time())
        assert_exact(prom, repo, at)
        assert figure(prom, at, 90 * DAY) == 31
        assert no_resets(prom, at)
    finally:
        if svc is not None:
            svc.stop()
        prom.stop()
