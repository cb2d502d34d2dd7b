"""The large-organisation layout (docs/scaling-thanos.md) beside the single Prometheus, both fed the
same data in the same run: `demo` history (uploaded to the bucket for Thanos, in the TSDB of the
single Prometheus), the embedded collector fed the recorded Claude Code payloads, and the exporter
with its history written by remote write (commits made in past days, Claude Enterprise cost days,
one of them revised). Each stack has an exporter that writes its history to it (Receive for
Thanos); both scrape the same collector and exporter. Every dashboard target and `report --json`
give the same numbers on Thanos Query as on the single Prometheus; the ruler's alerts fire as the
single Prometheus' do; a replica killed during ingestion loses no sample and resets no counter."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from agent_analytics.collector.config import load_config as load_collector_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.exporter.vendors.figures import day_sample_time
from agent_analytics.history.tsdb_blocks import newest_allowed
from agent_analytics.vocabulary import facts, hourly, series
from tests.bench.bench_dashboard_queries import board_queries
from tests.exporter.helpers import GitRepo
from tests.support import ground_truth, loopback
from tests.support.demo_spend import write_demo
from tests.support.grafana_queries import Target, load_dashboards, substitute, targets
from tests.support.live_stack import DEVELOPER, TEAM
from tests.support.net import free_port, wait_until
from tests.support.prometheus import Prometheus, QueryApi
from tests.support.rules import fast_rule_files
from tests.support.thanos import HISTORY_LABELS, REPLICA_LABEL, Layout
from tests.support.vendor_standins.anthropic import AnthropicStandIn, cost_row

pytestmark = [pytest.mark.prometheus, pytest.mark.long]

DEVELOPERS, DAYS, SEED = 5, 10, 7
# Rule groups run every 2 seconds (production: every minute; an alert's `for` counts seconds for
# minutes): on two busy cores the ruler's groups, each rule a query through Query, take up to a
# second, and an evaluation that overruns its interval skips the next one.
RULE_INTERVAL = "2s"
HOUR = 3600
COST = series.CLAUDE_COST
ENV = "AA_TEST_THANOS_ANALYTICS_KEY"
KEY = "sk-ant-api01-thanos-standin-77e2"
SONNET = "claude-sonnet-4-5-20250929"
TODAY = datetime.now(UTC).date()
D = [TODAY - timedelta(days=k) for k in range(60)]  # D[k] = k days ago

# Developers whose figures only history holds: hana's commits were made days ago (the exporter
# writes them at their own times), ivy's and hana's spend comes from Claude Enterprise cost days.
HANA, IVY = ("hana@example.com", "hana"), ("ivy@example.com", "ivy")
IDENTITIES = {
    DEVELOPER: {"developer_id": DEVELOPER, "team_id": TEAM},
    HANA[0]: {"developer_id": HANA[1], "team_id": "search"},
    IVY[0]: {"developer_id": IVY[1], "team_id": "search"},
}
BUDGETS = {TEAM: 0.1, "search": 1_000_000, "idle": 100}  # platform's is gone with its first spend
# Platform spends at far more than 14.4, 6 and 3 times its budget's pace and passes its budget
# (month to date accumulates through the ruler's own output, read back through Query); search's
# budget is far away and idle has spent nothing: these fire, nothing else.
BUDGET_ALERTS = {
    (name, TEAM): "firing" for name in ("AgentSpendFastBurn", "AgentSpendSlowBurn", "AgentBudgetExhausted")
}
CLAUDE = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
PAST_COMMITS = {2: CLAUDE, 4: "", 9: CLAUDE, 20: CLAUDE, 33: "", 45: CLAUDE}  # days ago (at noon) -> trailer
LIVE_COMMITS = [("Add the parser" + CLAUDE, 12), ("Fix a typo", 1)]
REVISED_DAY, REVISED_CENTS = 3, "999.75"  # Anthropic revises ivy's day of 3 days ago after the first poll


def cents(k: int) -> dict[str, str]:
    """The cost rows' amounts in cents of day D[k], per developer e-mail."""
    out = {IVY[0]: f"{100 + 7 * k}.25"}
    if k % 2 == 0:
        out[HANA[0]] = f"{50 + k}.5"
    return out


def cost_rows(revised: bool) -> list[dict]:
    rows = []
    for k in range(1, 36):
        for email, amount in cents(k).items():
            if revised and k == REVISED_DAY and email == IVY[0]:
                amount = REVISED_CENTS
            rows.append(cost_row(D[k], email, SONNET, amount))
    return rows


def vendor_truth(developer: str, since: float, until: float) -> float:
    """USD of the revised cost days of `developer` whose day samples lie in (since, until]."""
    email = {HANA[1]: HANA[0], IVY[1]: IVY[0]}[developer]
    rows = [r for r in cost_rows(revised=True) if r["actor"]["email"] == email]
    days = [date.fromisoformat(r["starting_at"][:10]) for r in rows]
    return sum(float(r["amount"]) / 100 for r, d in zip(rows, days, strict=True) if since < day_sample_time(d) <= until)


def noon(k: int) -> int:
    return int(datetime.combine(D[k], datetime.min.time(), UTC).timestamp()) + 12 * HOUR


def commit_at(repo: GitRepo, message: str, author: str, when: int) -> None:
    """A commit made at `when` (author and committer date)."""
    (repo.path / f"past-{when}.txt").write_text("one line\n")
    repo.git("add", "-A")
    stamp = f"@{when} +0000"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    repo.git("commit", "-q", "--author", author, "-m", message, env=env)


def self_reading_rule(folder: Path) -> tuple[Path, str]:
    """The hourly rule of the Claude Code cost with its hour made 10 seconds and its catch-up 5:
    evaluated every second, it writes each 10 seconds' value once, found in its own output by
    the evaluations after it (through Query on Thanos). Returns the file and the record's name."""
    view = hourly.full_view(COST)
    record = view.hourly.replace(":increase1h", ":increase10s")
    expr = hourly.hour_rule(view)
    for old, new in (
        (f")[{hourly.HOUR_CATCH_UP}:1h])", ")[5s:10s])"),
        (f"{view.hourly}[{hourly.HOUR_CATCH_UP}]", f"{record}[5s]"),
    ):
        assert expr.count(old) == 1, f"{old} not in the hourly rule: {expr}"
        expr = expr.replace(old, new)
    path = folder / "self_reading.rules.yml"
    path.write_text(
        yaml.safe_dump(
            {"groups": [{"name": "self_reading", "interval": "1s", "rules": [{"record": record, "expr": expr}]}]}
        )
    )
    return path, record


@dataclass
class Stacks:
    single: Prometheus
    thanos: Layout
    collector: CollectorService
    self_reading_record: str
    at: int  # a time both stacks have evaluated their rules past, after every write

    def apis(self) -> dict[str, QueryApi]:
        return {"single Prometheus": self.single, "Thanos Query": self.thanos.api}


def exporter_config(repo: Path, standin: AnthropicStandIn, query_url: str, write_url: str | None = None):
    return parse_config(
        {
            "repos": [str(repo)],
            "identities": IDENTITIES,
            "budgets": BUDGETS,
            "scan_interval_seconds": 1,
            "prometheus_url": query_url,
            **({"remote_write_url": write_url} if write_url else {}),
            "anthropic_enterprise": {
                "analytics_key_env": ENV,
                "api_url": standin.url,
                "history_days": 40,
                "poll_interval_seconds": 1,
                "max_backoff_seconds": 0.2,
            },
        }
    )


def vendor_total(api: QueryApi) -> float | None:
    return api.scalar('sum(sum_over_time(agent_analytics_vendor_cost_usd{source="anthropic_enterprise"}[60d]))')


def alerts(url: str) -> dict[tuple[str, str], str]:
    """(alert name, team) -> state of the budget alerts."""
    body = loopback.get(f"{url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return {
        (a["labels"]["alertname"], a["labels"].get("team_id", "")): a["state"] for a in body if "team_id" in a["labels"]
    }


@contextlib.contextmanager
def started(claude_fixtures: Path, work: Path) -> Iterator[Stacks]:
    end = newest_allowed() // HOUR * HOUR
    write_demo(work / "demo", DEVELOPERS, DAYS, SEED, end)
    shutil.copytree(work / "demo", work / "single")

    repo = GitRepo(work / "repo", origin="https://github.com/acme/parser.git")
    for k, trailer in PAST_COMMITS.items():
        commit_at(repo, f"Work of day -{k}{trailer}", f"Hana <{HANA[0]}>", noon(k))
    for message, lines in LIVE_COMMITS:
        repo.commit(message, lines=lines, author=f"Dev One <{DEVELOPER}>")

    rules = fast_rule_files(work, minutes_as_seconds=True, interval=RULE_INTERVAL)
    self_reading, record = self_reading_rule(work)
    rules.append(self_reading)

    with contextlib.ExitStack() as running:
        running.enter_context(pytest.MonkeyPatch.context()).setenv(ENV, KEY)
        standin = running.enter_context(AnthropicStandIn("", KEY))
        standin.cost_rows = cost_rows(revised=False)
        collector = CollectorService(
            load_collector_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=work / "collector")
        )
        collector.start()
        running.callback(collector.stop)
        exporter_port = free_port()
        scraped = {
            "collector": [collector.endpoints["metrics"].split("//")[1].split("/")[0]],
            "exporter": [f"127.0.0.1:{exporter_port}"],
        }
        layout = running.enter_context(Layout(targets=scraped, rule_files=rules, history=[work / "demo"]))
        single = running.enter_context(
            Prometheus(targets=scraped, rule_files=rules, data_dir=work / "single", remote_write=True)
        )
        # each stack's exporter writes history into it; the replicas and the single Prometheus all
        # scrape the first one (one collector, one exporter: the same live series in both)
        thanos_config = exporter_config(repo.path, standin, layout.query_url, layout.write_url)
        running.enter_context(ExporterService(thanos_config, port=exporter_port, data_dir=work / "exporter-thanos"))
        single_config = exporter_config(repo.path, standin, single.url)
        running.enter_context(ExporterService(single_config, port=0, data_dir=work / "exporter-single"))
        ground_truth.post(claude_fixtures, collector.endpoints["otlp_http"], DEVELOPER, ("metrics",))

        apis = {"single Prometheus": single, "Thanos Query": layout.api}
        live = ground_truth.total(claude_fixtures, "claude_code.cost.usage")
        first = sum(float(r["amount"]) / 100 for r in cost_rows(revised=False))
        for api in apis.values():
            api.wait_for(hourly.grown(COST, "1h"), live, timeout=60)  # the rules' hour in progress
            api.wait_for(hourly.grown(series.GIT_COMMITS, "1h"), len(LIVE_COMMITS), timeout=60)
            wait_until(lambda a=api: vendor_total(a) == pytest.approx(first), timeout=60, what="cost days written")
        standin.cost_rows = cost_rows(revised=True)
        revised = sum(float(r["amount"]) / 100 for r in cost_rows(revised=True))
        for api in apis.values():
            wait_until(lambda a=api: vendor_total(a) == pytest.approx(revised), timeout=60, what="the revision written")
        for name, api in apis.items():
            wait_until(lambda u=api.url: alerts(u) == BUDGET_ALERTS, timeout=60, what=f"budget alerts on {name}")
        at = math.ceil(time.time())  # after every change of state seen
        time.sleep(2 * facts.seconds(RULE_INTERVAL) + 1)  # both stacks' rules evaluated past `at`
        yield Stacks(single, layout, collector, record, at)


@pytest.fixture(scope="module")
def stacks(claude_fixtures: Path, tmp_path_factory) -> Iterator[Stacks]:
    with started(claude_fixtures, tmp_path_factory.mktemp("thanos-stacks")) as both:
        yield both


# --- comparing answers ----------------------------------------------------------------------------


def keyed(result: list[dict]) -> dict[tuple, float]:
    """Each value of a query's answer by its series' labels (and time, in a range query's).

    A raw series of history (a table that lists series unaggregated) carries on Thanos the
    label its blocks were uploaded under (HISTORY_LABELS): left out here, once it is checked
    that no two series differ only in it."""
    out = {}
    for s in result:
        labels = tuple(sorted((k, v) for k, v in s["metric"].items() if k not in HISTORY_LABELS))
        for t, v in [s["value"]] if "value" in s else s["values"]:
            assert (labels, float(t)) not in out, f"two series of {labels}"
            out[(labels, float(t))] = float(v)
    return out


def differences(a, b, path: str = "") -> list[str]:
    """Where two answers (or JSON documents) differ: values compared as floats summed in another
    order may differ, every series, time and key present in both."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(map(str, a.keys() ^ b.keys()))[:6]} in one only"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items against {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    numbers = all(isinstance(x, float | int) and not isinstance(x, bool) for x in (a, b))
    if numbers and a == pytest.approx(b, rel=1e-9, abs=1e-9, nan_ok=True) or not numbers and a == b:
        return []
    return [f"{path}: {a!r} against {b!r}"]


def same(a, b) -> bool:
    return not differences(a, b)


def run(api: QueryApi, target: Target, expr: str, at: int, range_seconds: int, step: int) -> dict:
    if target.instant:
        return keyed(api.query(expr, at=at))
    return keyed(api.query_range(expr, at - range_seconds, at, step))


def report(url: str, range_: str, at: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus-url", url, "--range", range_]
    return subprocess.Popen(
        [*command, "--at", str(at), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def reports(stacks) -> dict[str, dict[str, dict]]:
    """`report --json` over 7 and 30 days ending at `at` on both stacks, run at once: window ->
    stack -> figures (the URL asked left out)."""
    running = {(w, name): report(api.url, w, stacks.at) for w in ("7d", "30d") for name, api in stacks.apis().items()}
    out: dict[str, dict[str, dict]] = {}
    for (window, name), proc in running.items():
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, f"report on {name}: {stderr}"
        out.setdefault(window, {})[name] = json.loads(stdout)
        out[window][name].pop("prometheus")
    return out


# Recorded series that add to their own last value at every evaluation (month to date): a stack
# that started its rules a second later holds a different figure, on one Prometheus as on two.
ACCUMULATED = (
    series.TELEMETRY_MTD,
    series.MONTH_TO_DATE,
    series.FORECAST_MONTH_END,
    series.BUDGET_REMAINING,
)


def test_every_dashboard_target_gives_the_same_numbers_on_thanos_query(stacks):
    """Each PromQL target of each dashboard as Grafana sends it (instant, or a range over the
    dashboard's time range at its step), evaluated at the same time on both."""
    queries = [q for board in load_dashboards().values() for q in board_queries(board)]
    accumulated = [q for q in queries if any(name in q[1] for name in ACCUMULATED)]
    compared = [q for q in queries if q not in accumulated]

    def both(query) -> tuple[dict, dict]:
        return tuple(run(api, *query[:2], stacks.at, *query[2:]) for api in stacks.apis().values())

    with ThreadPoolExecutor(max_workers=4) as pool:  # as Grafana sends a dashboard's queries at once
        answers = list(pool.map(both, compared))
    pairs = zip(compared, answers, strict=True)
    different = [f"{q[0]}: {differences(a, b)[:3]}" for q, (a, b) in pairs if not same(a, b)]
    assert not different, "\n".join(different)
    assert len(compared) == len(targets("prometheus")) - len(accumulated) > 120
    assert sum(bool(a) for a, _ in answers) > len(compared) * 2 // 3  # most panels show something
    assert sorted({q[0].dashboard for q in accumulated}) == ["AI spend & ROI", "Budgets"]


# A month to date starts at midnight, where history's hourly samples and the day steps of the
# active-day subqueries sit: Prometheus 2 (the single one here) counts what lies on a range's first
# instant, Prometheus 3 (Thanos Query, compose's Prometheus) does not; a window ending now does not
# start on one.
@pytest.mark.parametrize("window", ["7d", "30d"])
def test_report_gives_the_same_figures_on_thanos_query(reports, window):
    single, thanos = reports[window]["single Prometheus"], reports[window]["Thanos Query"]
    assert same(single, thanos), "\n".join(differences(single, thanos))
    assert single["spend"]["usage_usd"] > 0 and single["commits"]["assisted"] > 0


def test_a_replica_is_one_series_through_query(stacks):
    """Both replicas hold each scraped series; Query answers one, without the replica label."""
    params = {"query": f'count({COST}{{developer_id="{DEVELOPER}"}})', "time": str(stacks.at)}
    raw = loopback.get(
        f"{stacks.thanos.query_url}/api/v1/query", params={**params, "dedup": "false"}, timeout=30
    ).json()
    (deduplicated,) = stacks.thanos.api.query(params["query"], at=stacks.at)
    (single,) = stacks.single.query(params["query"], at=stacks.at)
    assert float(raw["data"]["result"][0]["value"][1]) == 2 * float(deduplicated["value"][1])
    assert float(deduplicated["value"][1]) == float(single["value"][1]) > 0
    labels = stacks.thanos.api.query(f'{COST}{{developer_id="{DEVELOPER}"}}', at=stacks.at)
    assert labels and all(REPLICA_LABEL not in s["metric"] for s in labels)


# --- history written through Receive --------------------------------------------------------------


def panel(api: QueryApi, dashboard: str, title: str, range_: str, at: int, developer: str) -> list[dict]:
    (target,) = [t for t in targets("prometheus") if t.dashboard == dashboard and t.panel == title]
    one = dataclasses.replace(target, instant=True, variables={**target.variables, "developer": developer})
    return api.query(substitute(one, range_=range_), at=at)


def month_start(at: int) -> int:
    first = datetime.fromtimestamp(at, UTC).date().replace(day=1)
    return int(datetime.combine(first, datetime.min.time(), UTC).timestamp())


@pytest.mark.parametrize("window", ["7d", "30d", "mtd"])
def test_history_written_through_receive_counts_each_day_once(stacks, window):
    at = stacks.at
    seconds = at - month_start(at) if window == "mtd" else facts.seconds(window)
    range_ = f"{seconds}s"
    since = at - seconds
    for name, api in stacks.apis().items():
        for developer in (HANA[1], IVY[1]):
            spend = panel(api, "AI spend & ROI", "Usage spend by developer", range_, at, developer)
            assert [s["metric"]["developer_id"] for s in spend] == [developer], name
            assert float(spend[0]["value"][1]) == pytest.approx(vendor_truth(developer, since, at)), (name, developer)
        commits = panel(api, "Productivity", "Commits by agent", range_, at, HANA[1])
        by_agent = {s["metric"]["agent"]: float(s["value"][1]) for s in commits if float(s["value"][1])}
        made = [k for k in PAST_COMMITS if since < noon(k) <= at]
        want = {"claude-code": sum(bool(PAST_COMMITS[k]) for k in made), "none": sum(not PAST_COMMITS[k] for k in made)}
        assert by_agent == {agent: n for agent, n in want.items() if n}, name
    assert vendor_truth(IVY[1], since, at) > 0


# --- rules on the ruler ---------------------------------------------------------------------------


def test_budget_alerts_fire_and_stay_quiet_on_the_ruler_as_on_prometheus(stacks):
    """The alerts the ruler evaluates (Query answers for it, with its Rules API) are those of the
    single Prometheus: BUDGET_ALERTS, reached before the module's tests began."""
    for name, api in stacks.apis().items():
        assert alerts(api.url) == BUDGET_ALERTS, name
    firing = stacks.thanos.api.query('ALERTS{alertstate="firing", team_id!=""}')
    assert sorted((s["metric"]["alertname"], s["metric"]["team_id"]) for s in firing) == sorted(BUDGET_ALERTS)
    mtd = stacks.thanos.api.scalar(f'{series.MONTH_TO_DATE}{{team_id="{TEAM}"}}')
    rate = f'{series.spend_rate("5m")}{{team_id="{TEAM}"}}'
    step = stacks.thanos.api.scalar(f"{rate} * {facts.seconds(facts.RULE_INTERVAL)}")
    assert mtd >= BUDGETS[TEAM] > step > 0  # several evaluations added up


def test_a_rule_that_reads_its_own_output_writes_each_period_once(stacks):
    """Through Query the ruler finds what it wrote a second before: each 10-second period's value
    is written by one evaluation in its first seconds, as on the single Prometheus."""
    time.sleep(max(0, stacks.at + 25 - time.time()))
    for name, api in stacks.apis().items():
        result = api.query(f"{stacks.self_reading_record}[60s]")
        assert result, name
        for found in result:
            times = [float(t) for t, _ in found["values"]]
            periods = [math.floor(t / 10) for t in times]
            assert len(periods) == len(set(periods)) >= 4, (name, times)
            assert all(t - p * 10 <= 7 for t, p in zip(times, periods, strict=True)), (name, times)


# --- a replica lost during ingestion --------------------------------------------------------------


def test_a_replica_killed_during_ingestion_loses_nothing_and_resets_nothing(stacks, claude_fixtures):
    api, url = stacks.thanos.api, stacks.thanos.query_url
    each = ground_truth.total(claude_fixtures, "claude_code.cost.usage")
    total = f"sum(last_over_time({COST}[30m]))"
    before, panels_before = api.scalar(total), api.scalar(hourly.grown(COST, "1h"))
    hour_before = api.scalar(f"sum({hourly.hour_growth(hourly.full_view(COST))})")
    answers: list[tuple[str, float | None]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            body = loopback.get(f"{url}/api/v1/query", params={"query": total}, timeout=30).json()
            result = body.get("data", {}).get("result") or [{"value": [0, "nan"]}]
            answers.append((body["status"], float(result[0]["value"][1])))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(8):
            ground_truth.post(
                claude_fixtures, stacks.collector.endpoints["otlp_http"], f"kill-{i}@example.com", ("metrics",)
            )
            time.sleep(0.7)
            if i == 3:
                stacks.thanos.replicas["a"].proc.kill()  # SIGKILL, mid-ingestion
        expected = before + 8 * each
        api.wait_for(total, expected, timeout=60)
        stacks.single.wait_for(total, expected, timeout=60)
    finally:
        done.set()
        watcher.join()
    assert answers and all(status == "success" for status, _ in answers)
    # What Query answered while it happened: a post that the killed replica had scraped and its
    # twin not yet is missing from the answers until the twin's next scrape, so a total may step
    # back by the posts of its last scrape intervals, no more
    values = [v for _, v in answers]
    assert max((a - b for a, b in zip(values, values[1:], strict=False)), default=0) <= 2 * each + 1e-9, values
    # the deduplicated samples of every series never go down: no reset where a replica stops
    for found in api.query(f"{COST}[2m]"):
        seen = [float(v) for _, v in found["values"]]
        assert seen == sorted(seen), found["metric"]
    assert api.scalar(f"sum(resets({COST}[2m]))") == 0
    # The hour the posts fall in, as its hourly sample will hold it (read in one query at its end)
    hour = f"sum({hourly.hour_growth(hourly.full_view(COST))})"
    for name, each_api in stacks.apis().items():
        assert each_api.scalar(hour) == pytest.approx(hour_before + 8 * each, abs=1e-9), name
    # Until then the panels add up the ruler's interval samples, each read through Query from the
    # replicas that answered at the time. The killed replica's unshipped samples vanish with it:
    # a post it had scraped and its twin not yet (or the reverse) lies in an interval read from
    # one replica and in the next read from the other, counted twice or not at all. Posts a
    # whole scrape interval older than the kill are in both replicas; the last two may not be.
    stacks.single.wait_for(hourly.grown(COST, "1h"), panels_before + 8 * each, timeout=30)
    time.sleep(2 * facts.seconds(RULE_INTERVAL) + 1)  # the ruler's evaluations after the last post
    tail = api.scalar(hourly.grown(COST, "1h"))
    assert abs(tail - (panels_before + 8 * each)) <= 2 * each + 1e-9, tail
