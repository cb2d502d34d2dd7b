"""One live stack for the module's tests: the embedded collector fed the recorded Claude Code
payloads, the exporter scanning a real git repository, and a real Prometheus scraping both
every second with the project's rule files loaded (evaluated every second here).

Module-scoped: evaluating every rule each second keeps part of a core busy, so the stack stops
with the module that uses it rather than running to the end of the session."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent_analytics.collector.config import load_config as load_collector_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.vocabulary.hourly import grown
from agent_analytics.vocabulary.series import CLAUDE_COST, GIT_COMMITS
from tests.exporter.helpers import GitRepo
from tests.support import ground_truth
from tests.support.net import wait_until
from tests.support.prometheus import Prometheus
from tests.support.rules import fast_rule_files

DEVELOPER = "dev.one@example.com"  # sent as x-developer-id: the recordings carry no developer.id
TEAM = "platform"  # team.id of the recordings

# The test repository: (message, author, lines) - three commits co-authored by Claude, one by
# Copilot, two by hand.
CLAUDE = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
COPILOT = "\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>"
COMMITS = [
    ("Add the parser" + CLAUDE, 12),
    ("Handle empty input" + CLAUDE, 5),
    ("Document the parser" + CLAUDE, 7),
    ("Speed up the loop" + COPILOT, 3),
    ("Fix a typo", 1),
    ("Release 1.0", 2),
]
ASSISTED_COMMITS = 4


@dataclass
class LiveStack:
    prometheus: Prometheus
    collector: CollectorService
    exporter: ExporterService
    fixtures: Path


@pytest.fixture(scope="module")
def live_stack(claude_fixtures: Path) -> Iterator[LiveStack]:
    work = Path(tempfile.mkdtemp(prefix="aa-stack-"))
    repo = GitRepo(work / "repo", origin="https://github.com/acme/parser.git")
    for message, lines in COMMITS:
        repo.commit(message, lines=lines, author=f"Dev One <{DEVELOPER}>")

    exporter = ExporterService(
        parse_config(
            {
                "repos": [str(repo.path)],
                "identities": {DEVELOPER: {"developer_id": DEVELOPER, "team_id": TEAM}},
                "budgets": {TEAM: 500},
                "seat_prices": {"claude-code": 100, "copilot": 19},
                "seats": {"claude-code": 4},
                "roi": {"hourly_rate_usd": 120, "minutes_saved_per_accepted_line": 0.5},
            }
        ),
        port=0,
        data_dir=work / "exporter",
    )
    exporter.scan_now()
    exporter.start()
    collector = CollectorService(
        load_collector_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=work / "collector")
    )
    collector.start()
    ground_truth.post(claude_fixtures, collector.endpoints["otlp_http"], DEVELOPER)

    prometheus = Prometheus(
        targets={
            "collector": [collector.endpoints["metrics"].split("//")[1].split("/")[0]],
            "exporter": [f"127.0.0.1:{exporter.port}"],
        },
        rule_files=fast_rule_files(work),
    ).start()
    try:
        prometheus.wait_targets_up()
        prometheus.wait_for(
            "sum(claude_code_cost_usage_USD_total)", ground_truth.total(claude_fixtures, "claude_code.cost.usage")
        )
        prometheus.wait_for("sum(agent_analytics_git_commits_total)", len(COMMITS))
        # the hourly pre-aggregates the panels read have taken it in
        cost = ground_truth.total(claude_fixtures, "claude_code.cost.usage")
        prometheus.wait_for(grown(CLAUDE_COST, "1h"), cost)
        prometheus.wait_for(grown(GIT_COMMITS, "1h"), len(COMMITS))
        # the recording rules have run over the scraped data
        for recorded in ("team_developer_model:claude_code_cost_usd:increase1h", "team:agent_budget_usd:remaining"):
            wait_until(lambda q=recorded: prometheus.query(q), timeout=30, what=f"rule {recorded} evaluated")
        yield LiveStack(prometheus, collector, exporter, claude_fixtures)
    finally:
        prometheus.stop()
        collector.stop()
        exporter.stop()
