"""The metric write-ahead log on disk: a log cut in the middle of a record, or with a damaged
record at its end, starts cleanly with everything before it; snapshots bound the log; no batch
is applied twice across snapshot + replay."""

import threading

from agent_analytics.collector.label_policy import load_policy
from agent_analytics.collector.metric_state import MetricState
from agent_analytics.collector.self_metrics import SelfMetrics
from agent_analytics.collector.wal import HEADER
from tests.collector.test_accumulator import DELTA, sum_request


def open_state(data_dir, **kwargs) -> tuple[MetricState, SelfMetrics]:
    metrics = SelfMetrics()
    state = MetricState(load_policy(), metrics, data_dir, **kwargs)
    state.open()
    return state, metrics


def cost(state) -> float | None:
    return state.accumulator.value("app.cost", {"model": "m1"})


def send(state, *values) -> None:
    for v in values:
        state.ingest(sum_request([((("model", "m1"),), v, 1)], temporality=DELTA))


def crash(state) -> None:
    """Stop the writer without a snapshot: what a kill leaves is the log alone."""
    state.wal.stop()


def test_a_log_cut_mid_record_starts_with_everything_before_the_cut(tmp_path):
    state, _ = open_state(tmp_path)
    send(state, 1.0, 2.0, 4.0)
    crash(state)
    [segment] = state.wal.segments()
    data = segment.read_bytes()
    record = len(data) // 3
    segment.write_bytes(data[: 2 * record + HEADER.size + 5])  # the third record half written

    restarted, metrics = open_state(tmp_path)
    assert cost(restarted) == 3.0
    assert metrics.get("agent_analytics_collector_wal_dropped_bytes") == HEADER.size + 5
    assert metrics.get("agent_analytics_collector_wal_replayed_batches") == 2
    send(restarted, 8.0)
    crash(restarted)

    again, metrics = open_state(tmp_path)
    assert cost(again) == 11.0
    assert metrics.get("agent_analytics_collector_wal_dropped_bytes") == 0
    again.close()


def test_a_damaged_last_record_fails_its_checksum_and_is_dropped(tmp_path):
    state, _ = open_state(tmp_path)
    send(state, 1.0, 2.0)
    crash(state)
    [segment] = state.wal.segments()
    data = bytearray(segment.read_bytes())
    data[-3] ^= 0xFF
    segment.write_bytes(bytes(data))

    restarted, metrics = open_state(tmp_path)
    assert cost(restarted) == 1.0
    assert metrics.get("agent_analytics_collector_wal_dropped_bytes") == len(data) // 2
    restarted.close()


def test_snapshot_then_replay_applies_each_batch_once_and_bounds_the_log(tmp_path):
    state, metrics = open_state(tmp_path)
    send(state, 1.0, 2.0)
    state.checkpoint()
    send(state, 4.0)
    assert len(state.wal.segments()) == 1  # the segments in the snapshot are gone
    crash(state)

    restarted, metrics = open_state(tmp_path)
    assert cost(restarted) == 7.0
    assert metrics.get("agent_analytics_collector_wal_replayed_batches") == 1
    restarted.close()
    final, metrics = open_state(tmp_path)
    assert cost(final) == 7.0
    assert metrics.get("agent_analytics_collector_wal_replayed_batches") == 0
    final.close()


def test_the_log_past_its_size_limit_triggers_a_snapshot(tmp_path):
    state, metrics = open_state(tmp_path, wal_max_bytes=2000)
    send(state, *([0.5] * 40))
    state.checkpoint()  # waits for any snapshot already under way
    assert metrics.get("agent_analytics_collector_snapshots") >= 2
    assert sum(p.stat().st_size for p in state.wal.segments()) < 2000
    crash(state)
    restarted, _ = open_state(tmp_path)
    assert cost(restarted) == 20.0
    restarted.close()


def test_concurrent_requests_share_syncs(tmp_path):
    state, metrics = open_state(tmp_path)
    threads = [threading.Thread(target=send, args=(state, *([0.25] * 25))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cost(state) == 50.0
    syncs = metrics.get("agent_analytics_collector_wal_syncs")
    assert 0 < syncs < 200
    state.close()
