"""Time to commit end to end: the recorded Claude Code 2.1.332 session (which commits) goes
through the real collector into Loki (a stand-in speaking Loki's wire format); a real `git
commit` made in that session's shell (CLAUDE_CODE_SESSION_ID set, as Claude Code sets it in its
Bash tool) runs the hook installed by `init`; the exporter finds the session's first prompt in
Loki, and a real Prometheus scraping it answers the dashboard's panels with the exact figure."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from pathlib import Path

import pytest

from agent_analytics.collector.config import load_config as load_collector_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.git.time_to_commit import BUCKETS
from agent_analytics.exporter.service import ExporterService
from agent_analytics.vocabulary.series import TIME_TO_COMMIT as METRIC
from tests.collector.agent_fixtures import CLAUDE_2_1_332, message, session_files
from tests.support import loopback
from tests.support.grafana_queries import substitute, targets
from tests.support.loki_standin import LokiStandin
from tests.support.net import free_port, wait_until
from tests.support.prometheus import Prometheus
from tests.support.workstation import cli, commit, isolated_home, make_repo, series_value

pytestmark = pytest.mark.prometheus

DEVELOPER = "ada.lovelace@example.com"  # what init puts on the workstation (the git email)
TEAM = "platform"
COMMITTED = "2026-12-01T20:12:34+00:00"  # the commit, half a minute into the recorded session
CO_AUTHOR = "Co-Authored-By: Claude <noreply@anthropic.com>"


def recorded_session() -> tuple[str, float]:
    """The session id of the recording and the time of its first user_prompt (unix seconds)."""
    prompts = []
    for path in session_files(CLAUDE_2_1_332, "session-tools"):
        if ".logs" not in path.name:
            continue
        for rl in message(path).resource_logs:
            for sl in rl.scope_logs:
                for record in sl.log_records:
                    attributes = {a.key: a.value.string_value for a in record.attributes}
                    if attributes.get("event.name") == "user_prompt":
                        prompts.append((record.time_unix_nano, attributes["session.id"]))
    first_ns, session = min(prompts)
    return session, first_ns / 1e9


def panel_value(prometheus: Prometheus, title: str, at: int) -> float:
    (target,) = [t for t in targets("prometheus") if t.dashboard == "Claude Code usage" and t.panel == title]
    rows = prometheus.query(substitute(target, range_="30d"), at=at)
    assert len(rows) == 1, rows
    return float(rows[0]["value"][1])


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def test_time_from_the_sessions_first_prompt_to_its_commit(home, tmp_path):
    session, first_prompt = recorded_session()
    committed_at = datetime.fromisoformat(COMMITTED).timestamp()
    truth = committed_at - first_prompt
    assert truth == pytest.approx(29.877, abs=1e-6)  # 20:12:04.123 -> 20:12:34

    with LokiStandin() as loki:
        collector = CollectorService(
            load_collector_config(
                None, grpc_port=0, http_port=0, metrics_port=0, data_dir=tmp_path / "collector", loki_url=loki.url
            )
        )
        collector.start()
        exporter = ExporterService(
            parse_config({"loki_url": loki.url}), port=0, data_dir=tmp_path / "exporter", scan=False, poll=False
        )
        exporter.start()
        prometheus = Prometheus(targets={"exporter": [f"127.0.0.1:{exporter.port}"]}).start()
        try:
            for path in session_files(CLAUDE_2_1_332, "session-tools"):
                if ".logs" in path.name:
                    r = loopback.post(
                        f"{collector.endpoints['otlp_http']}/v1/logs",
                        content=path.read_bytes(),
                        headers={"content-type": "application/x-protobuf", "x-developer-id": DEVELOPER},
                        timeout=10,
                    )
                    assert r.status_code == 200, r.text
            wait_until(lambda: any(e[3] == "claude_code.user_prompt" for e in loki.entries), what="events in Loki")

            url = f"http://127.0.0.1:{exporter.port}"
            done = cli(
                "init", "--yes", "--endpoint", f"http://127.0.0.1:{free_port()}", "--exporter-url", url, "--team", TEAM
            )
            assert done.exit_code == 0, done.output
            repo = make_repo(tmp_path / "api", origin="https://github.com/acme/api.git")
            shell = {"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": session, "AI_AGENT": "claude-code_2.1.332_agent"}
            dates = {"GIT_AUTHOR_DATE": COMMITTED, "GIT_COMMITTER_DATE": COMMITTED}
            commit(
                repo,
                {"mathutil.py": "def add(a, b):\n    return a + b\n"},
                f"Add add\n\n{CO_AUTHOR}",
                env={**shell, **dates},
            )
            # a commit outside any session is not timed
            commit(repo, {"README.md": "x\n"}, "Readme", env=dates)
            wait_until(lambda: exporter.store.commit_count() == 2, timeout=20, what="both commits at the exporter")

            assert exporter.time_to_commit.resolve() == 1
            assert loki.queries == [
                f'{{service_name="claude-code"}} | session_id="{session}" | event_name="user_prompt"'
            ]
            metrics = f"{url}/metrics"
            labels = {"developer_id": DEVELOPER, "team_id": TEAM, "agent": "claude-code"}
            assert series_value(metrics, f"{METRIC}_count", **labels) == 1
            assert series_value(metrics, "agent_analytics_committing_sessions_total", **labels) == 1
            assert series_value(metrics, f"{METRIC}_sum", **labels) == pytest.approx(truth, abs=1e-6)
            for bound in BUCKETS:
                le = "+Inf" if math.isinf(bound) else repr(bound)
                assert series_value(metrics, f"{METRIC}_bucket", le=le, **labels) == (1 if truth <= bound else 0)

            prometheus.wait_targets_up()
            prometheus.wait_for(f"sum({METRIC}_count)", 1)
            time.sleep(1.1)
            at = int(time.time())
            assert panel_value(prometheus, "Commits timed", at) == 1
            assert panel_value(prometheus, "Time to commit (mean)", at) == pytest.approx(truth, abs=1e-6)
            # one commit in the first bucket (0, 60]: the estimate is the bucket's middle
            assert panel_value(prometheus, "Time to commit (median, estimate)", at) == pytest.approx(30.0)
            done = cli("report", "--json", "--prometheus-url", prometheus.url, "--range", "30d", "--at", str(at))
            assert done.exit_code == 0, done.output
            assert json.loads(done.output)["measures"]["time_to_commit"] == {
                "commits_timed": 1,
                "mean_seconds": pytest.approx(truth, abs=1e-6),
                "median_seconds_estimate": pytest.approx(30.0),
            }
            # measured once: a second round asks Loki nothing
            assert exporter.time_to_commit.resolve() == 0 and len(loki.queries) == 1
        finally:
            prometheus.stop()
            exporter.stop()
            collector.stop()


def test_a_session_loki_does_not_know_is_tried_again_and_an_unreachable_loki_counts_an_error(home, tmp_path):
    with LokiStandin() as loki:
        exporter = ExporterService(
            parse_config({"loki_url": loki.url}), port=0, data_dir=tmp_path / "exporter", scan=False, poll=False
        )
        exporter.start()
        try:
            url = f"http://127.0.0.1:{exporter.port}"
            done = cli("init", "--yes", "--endpoint", f"http://127.0.0.1:{free_port()}", "--exporter-url", url)
            assert done.exit_code == 0, done.output
            repo = make_repo(tmp_path / "api")
            shell = {"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": "5e55a0e1-0000-4000-8000-000000000001"}
            commit(repo, {"a.py": "1\n"}, f"A\n\n{CO_AUTHOR}", env=shell)
            wait_until(lambda: exporter.store.commit_count() == 1, timeout=20, what="the commit at the exporter")
            assert exporter.time_to_commit.resolve() == 0
            assert exporter.time_to_commit.resolve() == 0
            assert len(loki.queries) == 2  # not found yet: asked again
            assert series_value(f"{url}/metrics", f"{METRIC}_count") == 0
        finally:
            loki.stop()
            assert exporter.time_to_commit.resolve() == 0
            assert (
                series_value(f"http://127.0.0.1:{exporter.port}/metrics", "agent_analytics_session_lookup_errors_total")
                == 1
            )
            exporter.stop()
