"""Who can be picked and how people are counted, on a known organisation in a real Prometheus:
the dashboards' dropdowns list the people, teams, models and agents of every source (a developer
known only through a vendor API, only through the Copilot CLI or only through git included), the
agent picked filters the spend, and a developer who changed team is one row with both teams."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from agent_analytics.exporter.vendors.figures import day_sample_time
from agent_analytics.vocabulary import series
from tests.support import loopback
from tests.support.grafana_queries import load_dashboards, substitute, targets
from tests.support.hourly_history import push_history
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus

END = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())
FIRST = END - 3 * 86400
DAY1, DAY2 = END - 2 * 86400, END - 86400  # 12:00 on the two days before END
SONNET = "claude-sonnet-4-5"


def counter(increments: dict[int, float]) -> list[tuple[int, float]]:
    """Sampled every 5 minutes, as a scrape keeps them."""
    value, out = 0.0, []
    for t in range(FIRST, END + 1, 300):
        value += increments.get(t, 0.0)
        out.append((t * 1000, value))
    return out


def who(developer: str, team: str, **labels: str) -> dict:
    return {"developer_id": developer, "team_id": team, **labels}


HISTORY = [
    ({"__name__": series.CLAUDE_COST, **who("claude.dev", "payments", model=SONNET)}, counter({DAY1: 2.0})),
    # mover spent in payments, then moved to platform
    ({"__name__": series.CLAUDE_COST, **who("mover", "payments", model=SONNET)}, counter({DAY1: 3.0})),
    ({"__name__": series.CLAUDE_COST, **who("mover", "platform", model=SONNET)}, counter({DAY2: 5.0})),
    # known only through Cursor's Admin API
    (
        {"__name__": series.VENDOR_COST, **who("vera", "design", source="cursor", agent="cursor", model="gpt-5")},
        [(day_sample_time(date(2026, 11, 18)) * 1000, 4.0)],
    ),
    # known only through the Copilot CLI's telemetry
    (
        {"__name__": series.COPILOT_CLI_INPUT_TOKENS, **who("cody", "mobile", gen_ai_request_model="gpt-4.1")},
        counter({DAY1: 1000.0}),
    ),
    # known only through git
    (
        {"__name__": series.GIT_COMMITS, **who("gita", "data", agent="none", evidence="none", repo="r")},
        counter({DAY2: 2.0}),
    ),
    ({"__name__": series.COPILOT_TEAM_ACTIVE, "scope": "org/acme", "team": "frontend"}, [(END * 1000, 3.0)]),
]


@pytest.fixture(scope="module")
def prom():
    with Prometheus(remote_write=True) as p:
        push_history(p.url, HISTORY)
        yield p


def label_values(prom: Prometheus, query: str) -> set[str]:
    """A label_values() variable's values as Grafana asks Prometheus for them over the last 7 days."""
    selector, label = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query).groups()
    selector = selector.replace("$team", ".*")
    params = {"match[]": selector, "start": END - 7 * 86400, "end": END}
    body = loopback.get(f"{prom.url}/api/v1/label/{label}/values", params=params, timeout=10).json()
    return set(body["data"])


def test_every_dropdown_lists_the_people_of_every_source(prom):
    expected = {
        "team": {"payments", "platform", "design", "mobile", "data"},
        "developer": {"claude.dev", "mover", "vera", "cody", "gita"},  # vendor API, Copilot CLI, git only too
        "model": {SONNET, "gpt-5"},
        "agent": {"cursor", "none"},
        "github_team": {"frontend"},
    }
    seen = set()
    for board in load_dashboards().values():
        for v in board["templating"]["list"]:
            if v["type"] == "query" and v["query"].startswith("label_values("):
                assert label_values(prom, v["query"]) == expected[v["name"]], (board["title"], v["name"])
                seen.add(v["name"])
    assert seen == set(expected)


def panel(prom: Prometheus, title: str, **picks: str) -> dict[str, float]:
    (target,) = [t for t in targets("prometheus") if t.dashboard == "AI spend & ROI" and t.panel == title]
    result = prom.query(substitute(target, range_="7d", prometheus=prom, at=END, picks=picks), at=END)
    return {",".join(s["metric"].values()): float(s["value"][1]) for s in result}


def test_the_agent_picked_filters_the_spend(prom):
    assert panel(prom, "Usage spend") == {"": pytest.approx(14.0)}
    assert panel(prom, "Usage spend", agent="cursor") == {"": pytest.approx(4.0)}
    assert panel(prom, "Usage spend", agent="claude-code") == {"": pytest.approx(10.0)}
    assert panel(prom, "Usage spend", agent="codex") == {}


def report(prom: Prometheus, *extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus", prom.url, "--range", "7d"]
        + ["--at", str(END), *extra],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    return done


def test_a_developer_who_changed_team_is_one_row_with_both_teams(prom):
    data = json.loads(report(prom, "--json").stdout)
    spend = data["spend"]
    assert spend["by_developer_usd"] == {"mover": 8.0, "vera": 4.0, "claude.dev": 2.0}
    assert spend["teams_by_developer"]["mover"] == ["platform", "payments"]  # most spent first
    assert spend["by_team_usd"] == {"payments": 5.0, "platform": 5.0, "design": 4.0}
    assert panel(prom, "Usage spend by developer") == {"mover": 8.0, "vera": 4.0, "claude.dev": 2.0}
    text = report(prom).stdout
    assert re.search(r"│ mover\s+│ platform, payments │\s+\$8\.00 │", text)
    # where seats are not in a figure, the figure says so (titles wrap above narrow tables)
    words = " ".join(text.split())
    assert "Usage spend by team (seats are not split by team)" in words
    assert "Budgets (month to date; usage spend: seat licences are not in team budgets)" in words
