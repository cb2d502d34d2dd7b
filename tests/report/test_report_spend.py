"""`report --json` over 7d, 30d and month to date shows every agent's spend as the history
holds it: vendor days inside each window once (a revised day with its revision), one source per
developer, the reconciliation of both sources and the vendor users whom init has not reached."""

import json
import subprocess
import sys

import pytest

from tests.support import spend_history as h
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus

BUDGETS = {"platform": 12.0, "search": 100.0}


@pytest.fixture(scope="module")
def prom():
    p = Prometheus(remote_write=True).start()
    try:
        h.history().write(p.url, budgets=BUDGETS)
        yield p
    finally:
        p.stop()


def report(prom: Prometheus, range_: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus", prom.url, "--range", range_]
        + ["--at", str(h.END), "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cents(value):
    """Ground truth as `report --json` gives money: rounded to cents."""
    return {k: round(v, 2) for k, v in value.items()} if isinstance(value, dict) else round(value, 2)


@pytest.mark.parametrize("range_", ["7d", "30d", "mtd"])
def test_spend_by_agent_and_developer_equal_the_ground_truth(prom, range_):
    data = report(prom, range_)
    truth = h.expected(range_)
    s = data["spend"]
    # --json gives money in cents
    assert {r["agent"]: r["usd"] for r in s["by_agent"] if r["kind"] == "metered"} == cents(truth["by_agent"])
    developers = {r["developer_id"]: r["usd"] for r in s["by_developer"] if r["usd"]}
    assert developers == cents(truth["by_developer"])
    assert s["metered_usd"] == cents(truth["total"])
    assert sum(r["usd"] for r in s["by_team"]) == pytest.approx(truth["total"], abs=0.005 * len(s["by_team"]))


def test_budgets_count_every_agent_month_to_date_once(prom):
    truth = h.expected("mtd")["by_developer"]
    spent = {
        "platform": truth["ana"] + truth["bob"],  # ana by telemetry, bob by the Admin API (Nov 18 revised)
        "search": sum(truth[d] for d in ("cara", "dan", "erin", "fay")),
    }
    assert spent["platform"] == pytest.approx(5.0 + 5.5)
    for range_ in ("7d", "30d", "mtd"):  # month to date whatever the report's window
        budgets = {b["team_id"]: b for b in report(prom, range_)["budgets"]}
        assert {t: b["spend_mtd_usd"] for t, b in budgets.items()} == cents(spent)
        assert budgets["platform"]["status"] == "warning" and budgets["search"]["status"] == "ok"


def test_reconciliation_and_rollout_coverage(prom):
    data = report(prom, "30d")
    rows = {r["developer_id"]: r for r in data["spend"]["reconciliation"]["claude-code"]}
    assert rows["ana"]["telemetry_usd"] == pytest.approx(10.0) and rows["ana"]["vendor_usd"] == pytest.approx(5.5)
    assert rows["ana"]["difference_usd"] == pytest.approx(4.5)
    assert rows["bob"]["telemetry_usd"] is None and rows["bob"]["difference_usd"] == pytest.approx(-13.5)
    codex = {r["developer_id"]: r for r in data["spend"]["reconciliation"]["codex"]}
    assert codex["dan"]["vendor_usd"] == pytest.approx(0.75) and codex["fay"]["vendor_usd"] is None
    assert codex["fay"]["telemetry_usd"] == cents(h.codex_usd())
    assert data["tokens"]["codex"] == h.FAY_CODEX  # Nov 5, in the 30 days
    assert data["tokens"]["gemini-cli"] == h.ERIN_GEMINI
    coverage = {(r["agent"], r["developer_id"]): (r["telemetry"], r["git_hook"]) for r in data["rollout_coverage"]}
    assert coverage == {
        ("claude-code", "ana"): (True, False),
        ("claude-code", "bob"): (False, False),
        ("cursor", "cara"): (False, False),
        ("codex", "dan"): (False, False),
    }


def test_the_tables_show_every_agent_and_both_new_sections(prom):
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", "report", "--prometheus", prom.url, "--range", "30d"]
        + ["--at", str(h.END)],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    for text in ("claude-code", "cursor", "codex", "gemini-cli", "Reconciliation", "Rollout coverage", "$13.50"):
        assert text in done.stdout, text
