"""The day store: each vendor day counted once in Prometheus, across restarts, re-fetches,
revisions, late days and a SIGKILL between staging and writing."""

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from agent_analytics.exporter.vendors.days import VendorDays, newest_day_in_prometheus
from agent_analytics.exporter.vendors.figures import day_sample_time, figure
from agent_analytics.vocabulary.series import VENDOR_COST, VENDOR_SESSIONS, VENDOR_TOKENS
from agent_analytics.wire import remote_write
from tests.support import loopback
from tests.support.net import free_port, wait_http_ok, wait_until
from tests.support.prometheus import Prometheus
from tests.support.scrape import scrape, value
from tests.support.vendor_standins.anthropic import AnthropicStandIn, usage_record, user

pytestmark = pytest.mark.long

TODAY = datetime.now(UTC).date()
D = [TODAY - timedelta(days=k) for k in range(40)]  # D[k] = k days ago
ALICE = {"source": "anthropic", "agent": "claude-code", "developer_id": "alice@example.com", "team_id": "web"}


def cost(usd: float, model: str = "claude-sonnet-4-5", **labels) -> object:
    return figure(VENDOR_COST, usd, **{**ALICE, **labels}, model=model)


def staged(store: VendorDays) -> list[tuple[str, date, str, int, float]]:
    """(source, day, name, t, amount) of every staged sample, read from the store's file."""
    import sqlite3

    with sqlite3.connect(store.path) as db:
        rows = db.execute("SELECT source, day, name, t, amount FROM vendor_staged ORDER BY rowid").fetchall()
    return [(s, date.fromisoformat(d), n, t, a) for s, d, n, t, a in rows]


@pytest.fixture
def store(tmp_path):
    s = VendorDays(tmp_path)
    s.start_live("anthropic", D[10])
    yield s
    s.close()


def test_a_day_is_staged_once_and_a_restart_and_refetch_stage_nothing(store, tmp_path):
    figures = [cost(1.25), cost(0.5, model="claude-opus-4-1"), figure(VENDOR_SESSIONS, 3, **ALICE)]
    assert store.record("anthropic", D[2], figures).staged == 3
    assert store.record("anthropic", D[2], figures).staged == 0
    t = day_sample_time(D[2], 0)
    assert sorted(x[2:] for x in staged(store)) == sorted(
        [(VENDOR_COST, t, 1.25), (VENDOR_COST, t, 0.5), (VENDOR_SESSIONS, t, 3.0)]
    )
    store.close()
    again = VendorDays(tmp_path)
    assert again.record("anthropic", D[2], list(reversed(figures))).staged == 0
    assert again.days_pending() == {"anthropic": 1}
    assert again.newest_day() == {"anthropic": D[2]}
    again.close()


def test_a_revision_stages_one_correction_one_second_earlier_and_a_vanished_series_goes_to_zero(store):
    store.record(
        "anthropic", D[3], [cost(2.0), figure(VENDOR_TOKENS, 1000, **ALICE, model="claude-sonnet-4-5", type="input")]
    )
    store.record("anthropic", D[3], [cost(2.75)])  # cost revised up, the tokens series gone
    store.record("anthropic", D[3], [cost(2.5)])  # and down again
    samples = [(n, t, a) for _, _, n, t, a in staged(store)]
    end = day_sample_time(D[3], 0)
    assert sorted(samples) == sorted(
        [
            (VENDOR_COST, end, 2.0),
            (VENDOR_TOKENS, end, 1000.0),
            (VENDOR_COST, end - 1, 0.75),
            (VENDOR_TOKENS, end - 1, -1000.0),
            (VENDOR_COST, end - 2, -0.25),
        ]
    )
    assert store.committed("anthropic") == {(VENDOR_COST, cost(0).labels, D[3]): 2.5}


def test_days_to_fetch_refetch_window_missing_days_and_never_today(store):
    assert store.days_to_fetch("anthropic", TODAY, refetch_days=3, history_days=30) == D[10:0:-1]
    for k in (10, 9, 7, 6, 5, 4):  # 8 not given by the vendor yet
        store.record("anthropic", D[k], [])
    assert store.days_to_fetch("anthropic", TODAY, refetch_days=3, history_days=30) == [D[8], D[3], D[2], D[1]]
    with pytest.raises(ValueError, match="first live day"):
        store.record("anthropic", D[11], [cost(1.0)])


def test_first_run_starts_after_the_newest_day_prometheus_holds():
    assert VendorDays.first_run_start(TODAY, 3, 30, None) == D[30]
    assert VendorDays.first_run_start(TODAY, 3, 30, D[12]) == D[11]
    assert VendorDays.first_run_start(TODAY, 31, 7, None) == D[31]
    assert VendorDays.first_run_start(TODAY, 3, 30, D[1]) == TODAY  # nothing left to fetch


def test_month_to_date_from_committed_values(store):
    store.start_live("anthropic", D[10])
    month_start = TODAY.replace(day=1)
    for k in (1, 2, 5):
        store.record("anthropic", D[k], [cost(1.0 + k), cost(0.25, developer_id="api-key:ci", team_id="")])
    expected_alice = sum(1.0 + k for k in (1, 2, 5) if D[k] >= month_start)
    expected_ci = sum(0.25 for k in (1, 2, 5) if D[k] >= month_start)
    got = store.month_to_date_usd(TODAY)
    assert got.get(("anthropic", "claude-code", "alice@example.com", "web"), 0.0) == pytest.approx(expected_alice)
    assert got.get(("anthropic", "claude-code", "api-key:ci", ""), 0.0) == pytest.approx(expected_ci)


def day_total(prom: Prometheus, day: date, name: str = VENDOR_COST) -> float:
    """Everything Prometheus holds for UTC `day`: a one-day window ending at the day's end."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp()
    result = prom.query(f"sum(sum_over_time({name}[1d]))", at=end - 0.001)
    return float(result[0]["value"][1]) if result else 0.0


def test_push_writes_each_day_at_its_own_time_and_a_repeated_push_adds_nothing(tmp_path):
    with Prometheus(remote_write=True) as prom:
        store = VendorDays(tmp_path)
        store.start_live("anthropic", D[10])
        store.record("anthropic", D[5], [cost(3.0)])
        store.record("anthropic", D[4], [cost(1.5)])
        # what a push that Prometheus acknowledged, but whose removal a crash prevented, sends again
        import sqlite3

        with sqlite3.connect(store.path) as db:
            before = db.execute("SELECT * FROM vendor_staged").fetchall()
        assert store.push(prom.url) == 2
        with sqlite3.connect(store.path) as db:
            db.executemany("INSERT INTO vendor_staged VALUES (?,?,?,?,?,?)", before)
        assert store.push(prom.url) == 2
        store.record("anthropic", D[5], [cost(2.25)])  # revised down
        store.record("anthropic", D[2], [cost(0.5)])  # a day that appears late
        assert store.push(prom.url) == 2
        assert store.push(prom.url) == 0
        assert store.days_pending() == {}
        assert [day_total(prom, D[k]) for k in (6, 5, 4, 3, 2)] == [0.0, 2.25, 1.5, 0.0, 0.5]
        week = prom.query(f"sum(sum_over_time({VENDOR_COST}[7d]))")
        assert float(week[0]["value"][1]) == pytest.approx(4.25)
        store.close()


def test_newest_day_in_prometheus_reads_backfilled_days(tmp_path):
    with Prometheus(remote_write=True) as prom:
        assert newest_day_in_prometheus(prom.url, "anthropic") is None
        series = [
            ({"__name__": VENDOR_COST, **ALICE, "model": "claude-sonnet-4-5"}, [(day_sample_time(d, 0) * 1000, 1.0)])
            for d in (D[20], D[14])
        ]
        series.append(
            ({"__name__": VENDOR_SESSIONS, **ALICE, "source": "cursor"}, [(day_sample_time(D[3], 0) * 1000, 1.0)])
        )
        remote_write.push(prom.url, series)
        wait_until(lambda: newest_day_in_prometheus(prom.url, "anthropic") is not None, timeout=10)
        assert newest_day_in_prometheus(prom.url, "anthropic") == D[14]
        assert newest_day_in_prometheus(prom.url, "cursor") == D[3]
        assert newest_day_in_prometheus(prom.url, "openai") is None


# --- a SIGKILL of the real exporter between staging and writing --------------------------------

CLI = [str(Path(sys.executable).with_name("agent-analytics"))]
KEY = "sk-ant-admin01-kill-test-key"
EMAILS = ("ann@example.com", "bob@example.com")


def serve_days(standin: AnthropicStandIn, cents_of) -> dict[date, float]:
    """Put 6 days of two developers in the stand-in; returns USD per day."""
    truth = {}
    with standin.lock:
        for k in range(2, 8):  # not yesterday: the report holds it only from 01:00 UTC
            standin.usage[D[k]] = [
                usage_record(D[k], user(e), {"claude-sonnet-4-5": {"input": 10, "output": 5, "cents": cents_of(k, i)}})
                for i, e in enumerate(EMAILS)
            ]
            truth[D[k]] = sum(cents_of(k, i) for i in range(len(EMAILS))) / 100
    return truth


def start_exporter(config: Path, data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "AA_TEST_ANTHROPIC_KEY": KEY}
    args = [*CLI, "exporter", "--config", str(config), "--port", str(port), "--data-dir", str(data_dir)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", timeout=60)
    except TimeoutError:
        proc.kill()
        raise AssertionError(f"exporter did not start: {proc.communicate()[1]}") from None
    return proc


def test_sigkill_between_staging_and_writing_loses_nothing_and_doubles_nothing(tmp_path):
    prom = Prometheus(remote_write=True)  # its address is known before it runs
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = tmp_path / "exporter.yaml"
    config.write_text(
        f"prometheus_url: {prom.url}\nanthropic: {{admin_key_env: AA_TEST_ANTHROPIC_KEY, api_url: URL,"
        " poll_interval_seconds: 0.2, history_days: 8, refetch_days: 8, max_retries: 0, max_backoff_seconds: 0.1}\n"
    )
    with AnthropicStandIn(KEY) as standin:
        config.write_text(config.read_text().replace("URL", standin.url))
        truth = serve_days(standin, lambda k, i: 100 * k + 7 * i + 0.5)
        prom.start()
        try:
            proc = start_exporter(config, tmp_path / "data", port)
            try:
                wait_until(lambda: all(day_total(prom, d) == pytest.approx(usd) for d, usd in truth.items()))
                # 1. Prometheus goes away, the vendor revises every day: staged, not written; kill -9.
                prom.stop()
                truth = serve_days(standin, lambda k, i: 100 * k + 7 * i + 0.75)
                wait_until(lambda: value(scrape(base), "agent_analytics_vendor_days_pending", source="anthropic") == 6)
            finally:
                proc.kill()
                logs = proc.communicate()[1]
            prom.start()
            # 2. A few more kills while it writes and while the stand-in revises days.
            for n in range(4):
                truth = serve_days(standin, lambda k, i, n=n: 100 * k + 7 * i + 0.5 + (n + 1) * (k % 3))
                proc = start_exporter(config, tmp_path / "data", port)
                time.sleep(0.15 + 0.2 * n)
                proc.kill()
                logs += proc.communicate()[1]
            proc = start_exporter(config, tmp_path / "data", port)
            try:
                wait_until(
                    lambda: (
                        value(scrape(base), "agent_analytics_vendor_days_pending", source="anthropic") == 0
                        and all(day_total(prom, d) == pytest.approx(usd) for d, usd in truth.items())
                    ),
                    timeout=30,
                    what="every day written once, as last served",
                )
                total = prom.query(f"sum(sum_over_time({VENDOR_COST}[30d]))")
                assert float(total[0]["value"][1]) == pytest.approx(sum(truth.values()))
                metrics_text = loopback.get(f"{base}/metrics", timeout=10).text
            finally:
                proc.terminate()
                logs += proc.communicate(timeout=15)[1]
            assert KEY not in logs and KEY not in metrics_text
        finally:
            prom.stop()
            shutil.rmtree(prom.workdir, ignore_errors=True)
