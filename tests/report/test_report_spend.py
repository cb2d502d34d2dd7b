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
    assert s["usage_by_agent_usd"] == cents(truth["by_agent"])
    developers = {dev: usd for dev, usd in s["by_developer_usd"].items() if usd}
    assert developers == cents(truth["by_developer"])
    assert s["usage_usd"] == cents(truth["total"])
    assert sum(s["by_team_usd"].values()) == pytest.approx(truth["total"], abs=0.005 * len(s["by_team_usd"]))


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
    rec = data["spend"]["reconciliation"]["claude-code"]
    # ana: both sources see her, side by side; bob: the Admin API only, apart (not a difference)
    assert (rec["telemetry_usd"], rec["vendor_usd"], rec["difference_usd"]) == (
        {"ana": 10.0},
        {"ana": 5.5},
        {"ana": 4.5},
    )
    assert rec["difference_share"] == {"ana": pytest.approx(4.5 / 5.5)}
    assert rec["only_vendor_usd"] == {"bob": 13.5} and rec["only_telemetry_usd"] == {}
    assert rec["only_vendor"] == {"developers": 1, "usd": 13.5}
    codex = data["spend"]["reconciliation"]["codex"]
    assert codex["telemetry_usd"] == {} and codex["only_vendor_usd"] == {"dan": 0.75}
    assert codex["only_telemetry_usd"] == {"fay": cents(h.codex_usd())}
    # Nov 5, in the 30 days; `total` only adds up the others: left out
    assert data["tokens"]["codex"] == {k: v for k, v in h.FAY_CODEX.items() if k != "total"}
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
    for text in ("Claude Code", "Cursor", "Codex", "Gemini CLI", "Reconciliation", "Rollout coverage", "$13.50"):
        assert text in done.stdout, text
