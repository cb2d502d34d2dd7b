"""History that arrives out of order goes into Prometheus at its own times, never lowering a counter."""

import sqlite3
import threading
import time

import pytest

from agent_analytics.vocabulary.promql import growth
from agent_analytics.wire import past_counters
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus
DAY = 86400
NAME = "agent_analytics_git_commits_total"
LABELS = (("repo", "r"), ("source", "backfill"))


def test_an_older_increment_after_a_push_takes_a_second_lane_and_every_window_stays_exact(tmp_path):
    db = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None, check_same_thread=False)
    past_counters.create_tables(db)
    lock = threading.Lock()
    now = int(time.time())
    times = [now - 10 * DAY + 17, now - 3 * DAY + 17, now - 20 * DAY + 17]  # the last one arrives late
    with Prometheus(remote_write=True) as prom:
        past_counters.stage(db, [past_counters.PastIncrement(NAME, LABELS, t, 1) for t in times[:2]])
        assert past_counters.push(db, prom.url, lock).series == 1
        past_counters.stage(db, [past_counters.PastIncrement(NAME, LABELS, times[2], 1)])
        assert past_counters.push(db, prom.url, lock).series == 1
        assert past_counters.push(db, prom.url, lock).series == 0 and past_counters.pending_count(db) == 0
        lanes = {r["metric"].get("lane", "0") for r in prom.query(f"last_over_time({NAME}[30d])", at=now)}
        assert lanes == {"0", "1"}
        for days in (1, 5, 7, 15, 25):
            got = prom.query(f"sum({growth(NAME, f'{days}d')})", at=now)
            want = sum(now - days * DAY <= t <= now for t in times)
            assert (round(float(got[0]["value"][1])) if got else 0) == want, days
        assert float(prom.query(f"sum(resets({NAME}[30d]))", at=now)[0]["value"][1]) == 0
