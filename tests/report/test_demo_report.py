"""demo writes a month into a real Prometheus; report reads back exactly the generator's ground truth."""

import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from agent_analytics.history.demo.generate import generate
from agent_analytics.history.demo.organisation import ROI, cast, staff
from agent_analytics.vocabulary.series import CODEX_TOKENS, GEMINI_TOKENS, VENDOR_COST
from agent_analytics.vocabulary.spend import (
    Window,
    agent_spend,
    coverage,
    coverage_gaps,
    not_reached,
    raw_telemetry_cost,
)
from agent_analytics.vocabulary.token_prices import token_type_prices
from tests.support.demo_spend import spend_truth, summed
from tests.support.net import free_port
from tests.support.prometheus import Prometheus

pytestmark = [pytest.mark.prometheus, pytest.mark.long]

END = int(datetime(2026, 11, 18, 15, 0, tzinfo=UTC).timestamp())  # mid-month, on the hour
DEVELOPERS, DAYS, SEED = 7, 30, 7
DAY = 86400


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    # a terminal wide enough that no table cell wraps
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", *args], capture_output=True, text=True, env=env
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def report(prom: Prometheus, range_: str, *extra: str) -> dict:
    return json.loads(
        cli("report", "--prometheus", prom.url, "--range", range_, "--at", str(END), "--json", *extra).stdout
    )


class Combined:
    """Ground truth of a first demo run and the run that continued it."""

    def __init__(self, first, second):
        self.parts = (first, second)
        self.start, self.end = first.start, second.end

    def total(self, name, since, until, by=(), where=lambda labels: True):
        out: dict = {}
        for part in self.parts:
            for key, value in part.total(name, since, until, by, where).items():
                out[key] = out.get(key, 0.0) + value
        return out

    def gauge_samples(self, name, since, until):
        # the sample at the first run's end is written by both runs, with the same value
        first, second = self.parts
        return first.gauge_samples(name, since, min(until, first.end - 1)) + second.gauge_samples(name, since, until)


@pytest.fixture(scope="module")
def history():
    first = generate(DEVELOPERS, DAYS - 2, seed=SEED, end=END - 2 * DAY)
    second = generate(DEVELOPERS, DAYS, seed=SEED, end=END, resume=first.state(SEED))
    return Combined(first, second)


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    tsdb = tmp_path_factory.mktemp("tsdb")
    args = ["demo", "--developers", str(DEVELOPERS), "--seed", str(SEED), "--prometheus-data", str(tsdb)]
    out = cli(*args, "--days", str(DAYS - 2), "--end", str(END - 2 * DAY))
    assert out.stdout.startswith("Wrote demo history") and f"{DEVELOPERS} developers" in out.stdout
    assert "A running Prometheus loads new blocks within a minute" in out.stdout  # report right away shows none
    # the people beyond --developers are named, and why they are there
    outsiders = ", ".join(d.developer_id for d in cast(SEED, staff_of(DEVELOPERS)).not_onboarded)
    assert (
        f"The {DEVELOPERS} developers send telemetry and commit with the git hook; 2 more people ({outsiders}) use"
        " Claude Code, Cursor or Codex but never ran `init`: only the vendors' APIs know them, so `report` counts"
        " them among the people active with an agent and lists them under rollout coverage."
    ) in " ".join(out.stdout.split())
    # Later the same demo continues the counters up to its new end, and a third run has nothing to add.
    assert cli(*args, "--end", str(END)).stdout.startswith("Continued demo history")
    assert "nothing to write" in cli(*args, "--end", str(END)).stdout
    other = cli("demo", "--seed", str(SEED + 1), "--prometheus-data", str(tsdb), check=False)
    assert other.returncode == 1 and "--seed 7 --developers 7 to extend it" in other.stderr
    assert other.stderr.count("\n") == 1
    with Prometheus(data_dir=tsdb, extra_args=["--storage.tsdb.retention.time=400d"]) as p:
        yield p


def staff_of(developers: int):
    return staff(developers, random.Random(SEED))


def cents(expected):
    """Money in `report --json` is rounded to cents."""
    return pytest.approx(expected, abs=0.005)


def one_label(summed_truth: dict) -> dict:
    """Ground truth by one label, keyed as `report --json` keys a figure per label value."""
    return {k[0]: v for k, v in summed_truth.items()}


def test_report_30d_equals_the_generated_month(prom, history):
    data = report(prom, "30d")
    start = END - 30 * DAY
    assert history.start == start  # the whole month is inside the report's window
    cost = "claude_code_cost_usage_USD_total"
    truth = spend_truth(history.parts, start, END)  # every agent's spend, one source per developer

    assert data["spend"]["by_model_usd"] == cents(one_label(summed(truth, "model")))
    assert data["spend"]["by_team_usd"] == cents(one_label(summed(truth, "team_id")))
    by_dev = one_label(summed(truth, "developer_id"))
    assert data["spend"]["by_developer_usd"] == cents(by_dev)
    assert list(data["spend"]["by_developer_usd"]) == sorted(by_dev, key=lambda dev: -by_dev[dev])  # most first
    assert {k[0] for k in history.total(cost, start, END, ("developer_id",))} < set(by_dev)  # and vendor-only people
    usage_by_agent = data["spend"]["usage_by_agent_usd"]
    assert usage_by_agent == cents(one_label(summed(truth, "agent")))
    assert set(usage_by_agent) == {"claude-code", "codex", "cursor", "gemini-cli"}

    tokens = history.total("claude_code_token_usage_tokens_total", start, END, ("type",))
    assert data["tokens"]["claude-code"] == {k[0]: v for k, v in tokens.items()}
    gemini = history.total(GEMINI_TOKENS, start, END, ("type",))
    assert data["tokens"]["gemini-cli"] == {k[0]: v for k, v in gemini.items()} and gemini
    codex = history.total(CODEX_TOKENS, start, END, ("token_type",))
    assert data["tokens"]["codex"] == {k[0]: v for k, v in codex.items() if k[0] != "total"}  # total adds up the others
    assert data["usage"]["claude_code_sessions"] == history.total("claude_code_session_count_total", start, END)[()]
    active = history.total("claude_code_active_time_seconds_total", start, END, ("type",))
    assert data["usage"]["claude_code_active_hours_by_type"] == pytest.approx(
        {k[0]: v / 3600 for k, v in active.items()}
    )
    # everyone with spend or activity: the developers' telemetry of every agent and the people
    # known only to vendor APIs
    people = {
        k[0]
        for series in ("claude_code_active_time_seconds_total", cost, GEMINI_TOKENS, CODEX_TOKENS)
        for k, v in history.total(series, start, END, ("developer_id",)).items()
        if v
    }
    people |= {
        dict(labels)["developer_id"]
        for part in history.parts
        for (name, labels), values in part.gauges.items()
        if name == VENDOR_COST and any(v for t, v in values.items() if start <= t <= END)
    }
    assert data["usage"]["active_developers"] == len(people) == DEVELOPERS + 2
    crew = cast(SEED, history.parts[0].developers)
    outsiders = {crew.claude_api_only.developer_id, crew.api_key_user.developer_id}
    assert set(data["usage"]["known_only_to_vendor_apis_usd"]) == outsiders  # the two never set up with init
    assert data["usage"]["claude_code_active_developers"] == DEVELOPERS

    commits = {k[0]: v for k, v in history.total("agent_analytics_git_commits_total", start, END, ("agent",)).items()}
    assert data["commits"]["by_agent"] == commits
    assisted = sum(v for agent, v in commits.items() if agent != "none")
    assert data["commits"]["assisted"] == assisted
    assert data["commits"]["assisted_share"] == pytest.approx(assisted / sum(commits.values()))
    assert 0 < assisted < sum(commits.values())

    # Seats are prorated over the window: price * seats * (30 days / average month).
    seats = data["seats"]
    assert set(seats["paid"]) == set(seats["price_monthly_usd"]) == {"copilot", "cursor"}
    seat_usd = sum(seats["price_monthly_usd"][a] * n * 30 / (365.25 / 12) for a, n in seats["paid"].items())
    usage = sum(truth.values())
    assert data["spend"]["usage_usd"] == cents(usage)
    assert data["spend"]["total_usd"] == cents(usage + seat_usd)
    # two costs per assisted commit, each under a name that says what it divides
    with_seats = data["commits"]["cost_per_assisted_commit_with_seats_usd"]
    assert with_seats == cents((usage + seat_usd) / assisted)
    by_use = sum(v for agent, v in commits.items() if agent in ("claude-code", "codex", "cursor", "gemini-cli"))
    usage_only = data["commits"]["usage_cost_per_usage_assisted_commit_usd"]
    assert usage_only == cents(usage / by_use) and usage_only != with_seats
    assert "cost_per_assisted_commit_usd" not in data["commits"] and "output_per_dollar" not in data
    text = " ".join(cli("report", "--prometheus", prom.url, "--range", "30d", "--at", str(END)).stdout.split())
    assert f"AI spend (usage and seats) per assisted commit │ ${with_seats:,.2f}" in text
    assert f"Usage spend per commit assisted by an agent billed by use │ ${usage_only:,.2f}" in text
    assert f"{len(people)} people active with an agent (2 of them known only through vendor APIs" in data["summary"]
    for outsider in outsiders:  # in the spend table, each says why only vendors know them
        assert f"{outsider} (vendor API only: not set up with init)" in text

    accepted = history.gauge_samples("agent_analytics_copilot_code_acceptance_activities", start, END)
    generated = history.gauge_samples("agent_analytics_copilot_code_generation_activities", start, END)
    assert data["copilot"]["acceptance_rate"] == pytest.approx(sum(accepted) / sum(generated))
    assert 0.2 < data["copilot"]["acceptance_rate"] < 0.4
    util = data["copilot"]["seat_utilisation"]
    assert util == pytest.approx(data["copilot"]["seats"]["active_this_cycle"] / data["copilot"]["seats"]["total"])

    lines = history.total("claude_code_lines_of_code_count_total", start, END, ("type",))[("added",)]
    assert data["usage"]["claude_code_lines_added"] == lines
    roi = data["roi"]
    used = {k: ROI[k] for k in ("hourly_rate_usd", "minutes_saved_per_assisted_commit")}
    assert {k: v["value"] for k, v in roi["assumptions"].items()} == used
    assert {v["source"] for v in roi["assumptions"].values()} == {"exporter"}
    # the operator's estimate credits assisted commits only: the lines are in them
    hours = assisted * ROI["minutes_saved_per_assisted_commit"] / 60
    assert roi["own_assumption"]["hours_saved"] == pytest.approx(hours)
    assert roi["own_assumption"]["value_usd"] == cents(hours * ROI["hourly_rate_usd"])


def test_month_to_date_budgets_and_a_shorter_window(prom, history):
    month_start = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
    data = report(prom, "mtd")
    assert data["window"]["seconds"] == END - month_start
    mtd = summed(spend_truth(history.parts, month_start, END), "team_id")
    budgets = {b["team_id"]: b for b in data["budgets"]}
    assert set(budgets) == {k[0] for k in mtd}
    for (team,), spent in mtd.items():
        b = budgets[team]
        assert b["spend_mtd_usd"] == cents(spent)
        assert b["used_share"] == pytest.approx(spent / b["budget_monthly_usd"])
        assert b["status"] == (
            "over" if spent > b["budget_monthly_usd"] else "warning" if spent >= 0.8 * b["budget_monthly_usd"] else "ok"
        )

    week = report(prom, "7d", "--hourly-rate", "120")
    week_spend = sum(spend_truth(history.parts, END - 7 * DAY, END).values())
    assert week["spend"]["usage_usd"] == cents(week_spend)
    assert 0 < week_spend < sum(spend_truth(history.parts, history.start, END).values())
    assert week["roi"]["assumptions"]["hourly_rate_usd"] == {"value": 120.0, "source": "flag"}


def test_vendor_day_figures_add_up_in_every_window(prom, history):
    """Each day's vendor figure counts once, in the windows that hold the day's last second."""
    month_start = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
    for window, since in (("7d", END - 7 * DAY), ("30d", END - 30 * DAY), (f"{END - month_start}s", month_start)):
        query = f"sum by (source, developer_id, model) (sum_over_time({VENDOR_COST}[{window}]))"
        by = ("developer_id", "model", "source")
        got = {tuple(r["metric"][k] for k in by): float(r["value"][1]) for r in prom.query(query, END)}
        expected: dict = {}
        for part in history.parts:
            for (name, labels), values in part.gauges.items():
                if name == VENDOR_COST:
                    key = tuple(dict(labels)[k] for k in by)
                    expected[key] = expected.get(key, 0) + sum(v for t, v in values.items() if since <= t <= END)
        assert got == pytest.approx({k: v for k, v in expected.items() if v}), window
        assert {source for _, _, source in got} == {"anthropic", "cursor", "openai"}


def test_gemini_cli_and_codex_tokens_are_priced_by_the_demos_price_series(prom, history):
    start = END - 30 * DAY
    for agent, series, kind in (("gemini-cli", GEMINI_TOKENS, "type"), ("codex", CODEX_TOKENS, "token_type")):
        query = f"sum by (developer_id) ({raw_telemetry_cost(agent, Window('30d'))})"
        got = {r["metric"]["developer_id"]: float(r["value"][1]) for r in prom.query(query, END)}
        expected: dict = {}
        counted = history.total(series, start, END, ("developer_id", "model", kind))
        for (dev, model, token_type), tokens in counted.items():
            expected[dev] = expected.get(dev, 0) + tokens * token_type_prices(agent, model)[token_type]
        assert got == pytest.approx(expected) and expected, agent


def vendor_cost(history, since, developer_id, source):
    return sum(
        v
        for part in history.parts
        for (name, labels), values in part.gauges.items()
        if name == VENDOR_COST and {("developer_id", developer_id), ("source", source)} <= set(labels)
        for t, v in values.items()
        if since <= t <= END
    )


def test_reconciliation_has_a_row_rollout_coverage_has_people_and_totals_count_each_once(prom, history):
    start, window = END - 30 * DAY, Window("30d")
    crew = cast(SEED, history.parts[0].developers)
    both, outsider = crew.reconciled, crew.claude_api_only
    telemetry = history.total("claude_code_cost_usage_USD_total", start, END, ("developer_id",))
    data = report(prom, "30d")
    rec = data["spend"]["reconciliation"]["claude-code"]
    admin_api = vendor_cost(history, start, both.developer_id, "anthropic")
    difference = telemetry[(both.developer_id,)] - admin_api
    # side by side: only the developer both telemetry and the Admin API see
    assert rec["telemetry_usd"] == cents({both.developer_id: telemetry[(both.developer_id,)]})
    assert rec["vendor_usd"] == cents({both.developer_id: admin_api}) and admin_api > 0
    assert rec["difference_usd"] == cents({both.developer_id: difference})
    assert rec["difference_share"] == pytest.approx({both.developer_id: difference / admin_api}, rel=1e-9)
    # apart: whoever only one of them sees, counted, not a difference
    telemetry_only = {dev: usd for (dev,), usd in telemetry.items() if usd and dev != both.developer_id}
    outsider_cost = vendor_cost(history, start, outsider.developer_id, "anthropic")
    assert rec["only_telemetry_usd"] == cents(telemetry_only)
    assert rec["only_telemetry"] == {"developers": DEVELOPERS - 1, "usd": cents(sum(telemetry_only.values()))}
    assert rec["only_vendor"] == {"developers": 1, "usd": cents(outsider_cost)}
    text = cli("report", "--prometheus", prom.url, "--range", "30d", "--at", str(END)).stdout
    one_line = " ".join(text.split())
    assert difference < 0 and f"-${-difference:,.2f}" in text and "$-" not in text  # money as people write it
    assert f"{difference / admin_api * 100:.1f}%" in text
    assert (
        f"Seen by one source only (not a difference): {DEVELOPERS - 1} developers in telemetry only"
        f" (${sum(telemetry_only.values()):,.2f}), 1 developer in the Anthropic API only (${outsider_cost:,.2f})."
    ) in one_line

    reached = {(r["metric"]["agent"], r["metric"]["developer_id"]) for r in prom.query(not_reached(window), END)}
    assert reached == {
        ("claude-code", outsider.developer_id),
        ("cursor", crew.api_key_user.developer_id),
        ("codex", crew.api_key_user.developer_id),
    } | {("cursor", d.developer_id) for d in crew.cursor}

    def flags(queries: dict[str, str]) -> dict[str, dict[tuple[str, ...], float]]:
        key = ("agent", "developer_id")
        return {
            flag: {tuple(r["metric"][k] for k in key): float(r["value"][1]) for r in prom.query(q, END)}
            for flag, q in queries.items()
        }

    # the table's columns: the flags of every vendor API user, for those not reached only
    every_user, gaps = flags(coverage(window)), flags(coverage_gaps(window))
    assert gaps == {flag: {who: every_user[flag][who] for who in reached} for flag in every_user}

    # auto: telemetry where a developer sends it, the Admin API for the one who sends none
    total = prom.query(agent_spend("claude-code", window), END)
    assert float(total[0]["value"][1]) == pytest.approx(sum(telemetry.values()) + outsider_cost)


def test_tables_show_the_same_figures(prom):
    data = report(prom, "30d")
    text = cli("report", "--prometheus", prom.url, "--range", "30d", "--at", str(END)).stdout
    top, usd = next(iter(data["spend"]["by_developer_usd"].items()))
    assert top in text and f"${usd:,.2f}" in text
    assert f"${data['spend']['total_usd']:,.2f}" in text
    assert "Assumptions: hourly rate (USD) = 95 (exporter)" in text


def test_unreachable_prometheus_is_one_line_and_fails():
    result = cli("report", "--prometheus", f"http://127.0.0.1:{free_port()}", "--json", check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "cannot reach Prometheus" in result.stderr


def test_report_on_an_empty_prometheus_says_no_data(tmp_path):
    with Prometheus(data_dir=tmp_path / "empty") as empty:
        data = json.loads(cli("report", "--prometheus", empty.url, "--range", "7d", "--json").stdout)
        text = cli("report", "--prometheus", empty.url, "--range", "7d").stdout
    assert data["spend"]["total_usd"] == 0 and data["spend"]["by_model_usd"] == {}
    assert data["commits"]["assisted_share"] is None and data["copilot"]["acceptance_rate"] is None
    assert data["roi"]["own_assumption"]["net_return"] is None
    assert data["roi"]["adoption"]["tiers"] == {"none": 0, "light": 0, "moderate": 0, "heavy": 0}
    assert {v["source"] for v in data["roi"]["assumptions"].values()} == {"default"}
    assert "no data" in text
    # an empty window says what to do, first
    assert data["summary"].startswith("No agent data in this window. Run `agent-analytics demo`")
    assert text.startswith("No agent data in this window.") and "agent-analytics init" in text


def test_a_prometheus_data_path_that_is_a_file_is_one_line(tmp_path):
    not_a_folder = tmp_path / "prometheus.yml"
    not_a_folder.write_text("global: {}\n")
    result = cli("demo", "--days", "1", "--prometheus-data", str(not_a_folder), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {not_a_folder} is not a folder: give the Prometheus TSDB folder (its --storage.tsdb.path)"
    )


def test_labels_are_words_and_token_types_that_add_up_others_are_left_out(prom):
    text = cli("report", "--prometheus", prom.url, "--range", "30d", "--at", str(END)).stdout
    for words in ("Commits with no agent", "Commits with Claude Code", "Commits with GitHub Copilot"):
        assert words in text
    for words in ("interacting with Claude Code", "Claude Code working (tools and answers)", "cache reads"):
        assert words in text
    assert "input (cached included)" in text and "reasoning (part of output)" in text  # Codex, in words
    for raw in ("Commits (none)", "(cli)", "(user)", "cacheRead", "cached_input", "reasoning_output", " total "):
        assert raw not in text, raw


@pytest.mark.parametrize(("range_", "seconds"), [("90d", 90 * DAY), ("12h", 12 * 3600), ("2w", 14 * DAY)])
def test_any_prometheus_duration_is_a_window(prom, range_, seconds):
    data = report(prom, range_)
    assert (data["range"], data["window"]["seconds"]) == (range_, seconds)
    assert data["window"]["start"] == datetime.fromtimestamp(END - seconds, UTC).isoformat()


def test_a_window_that_is_no_duration_is_one_line():
    result = cli("report", "--range", "7 days", check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert "'7 days' is not a window: give a duration such as 7d, 90d or 12h, or mtd" in result.stderr


def test_right_after_demo_the_report_says_the_history_is_loading_never_that_there_is_none(tmp_path):
    """`demo` into the data folder of a running stack, then `report` at once, as the README's tour does."""
    data_dir = tmp_path / "data"
    with Prometheus(data_dir=data_dir / "prometheus", extra_args=["--storage.tsdb.retention.time=400d"]) as p:
        # where `up` says which Prometheus it runs (the config it writes)
        run = data_dir / "run"
        run.mkdir()
        job = {"job_name": "prometheus", "static_configs": [{"targets": [p.url.removeprefix("http://")]}]}
        (run / "prometheus.yml").write_text(json.dumps({"scrape_configs": [job]}))
        cli("demo", "--developers", "2", "--days", "1", "--end", str(END), "--data-dir", str(data_dir))
        data = json.loads(cli("report", "--data-dir", str(data_dir), "--at", str(END), "--json").stdout)
        loaded = p.query("count(claude_code_active_time_seconds_total)", at=END)
    assert data["prometheus"] == p.url
    if loaded:  # Prometheus took the blocks in between (it does once a minute)
        assert data["usage"]["claude_code_active_developers"] == 2
    else:
        assert data["summary"].startswith("Demo history was written ")
        assert data["summary"].endswith(
            "seconds ago and Prometheus has not loaded it yet: a running Prometheus loads new blocks within a"
            " minute. Run `agent-analytics report` again then."
        )
