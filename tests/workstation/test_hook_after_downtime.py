"""The exporter goes down, commits are made in a Claude Code session (the hook spools them), the
exporter restarts and its scan finds them first, then `hook flush`: the commits end with session
evidence and the workstation's team, counted once, and no git counter ever resets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.vocabulary.promql import growth
from tests.support.net import free_port, wait_until
from tests.support.prometheus import Prometheus
from tests.support.workstation import cli, commit, isolated_home, make_repo, senders_settled, series_value
from tests.workstation.test_hook_delivery import SESSION, init, spooled

pytestmark = pytest.mark.prometheus

COMMITS = "agent_analytics_git_commits_total"
COUNTERS = [f"agent_analytics_git_{n}_total" for n in ("commits", "lines_added", "lines_deleted", "files_changed")]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def grown(prom: Prometheus, selector: str) -> int:
    result = prom.query(f"sum({growth(selector, '1h')})")
    return round(float(result[0]["value"][1])) if result else 0


def no_resets(prom: Prometheus) -> None:
    for name in COUNTERS:
        result = prom.query(f"sum(resets({name}[1h]))")
        assert result and float(result[0]["value"][1]) == 0, name


def test_spooled_session_commits_found_by_a_scan_first_end_with_session_evidence_and_team(home, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    init(url, "--team", "platform")
    repo = make_repo(tmp_path / "api", origin="git@github.com:acme/api.git")
    with Prometheus(targets={"exporter": [f"127.0.0.1:{port}"]}, remote_write=True) as prom:
        cfg = parse_config({"repos": [str(repo)], "prometheus_url": prom.url})

        def exporter() -> ExporterService:
            return ExporterService(cfg, port=port, data_dir=tmp_path / "exporter", scan=False, poll=False).start()

        svc = exporter()
        commit(repo, {"a.py": "a\n"}, "first", env=SESSION)  # delivered by the hook at once
        wait_until(lambda: series_value(f"{url}/metrics", COMMITS) == 1, timeout=20, what="the first commit")
        prom.wait_for(f"sum({COMMITS})", 1)
        svc.stop()

        for i in range(2):  # the exporter is down: the hook spools both
            commit(repo, {f"b{i}.py": "b\n" * (i + 2)}, f"while down {i}", env=SESSION)
        wait_until(senders_settled, timeout=30, what="the hooks' senders to finish")
        assert len(spooled()) == 2

        svc = exporter()
        try:
            assert svc.scan_now() == 2  # found first by the scan: held for the hook's record
            assert svc.store.held_count() == 2
            assert series_value(f"{url}/metrics", COMMITS) == 1
            assert series_value(f"{url}/metrics", "agent_analytics_git_held_commits") == 2

            result = cli("hook", "flush")
            assert result.exit_code == 0, result.output
            assert result.output.count("counted with this record's evidence") == 2, result.output
            assert result.output.count("evidence session, team platform") == 2, result.output
            assert svc.store.held_count() == 0 and spooled() == []

            session = f'{COMMITS}{{evidence="session",agent="claude-code",team_id="platform"}}'
            prom.wait_for(f"sum({growth(session, '1h')})", 3)
            prom.scrape_settle()
            assert grown(prom, COMMITS) == 3  # each once
            assert grown(prom, f'{COMMITS}{{evidence!="session"}}') == 0
            assert grown(prom, 'agent_analytics_git_lines_added_total{team_id="platform"}') == 1 + 2 + 3
            no_resets(prom)

            # A flush again and a restart with a rescan change nothing.
            again = cli("hook", "flush")
            assert again.exit_code == 0 and "sent 0 commit(s)" in again.output, again.output
            svc.stop()
            svc = exporter()
            assert svc.scan_now() == 0
            time.sleep(1)
            prom.scrape_settle()
            assert grown(prom, COMMITS) == 3
            no_resets(prom)
        finally:
            svc.stop()
