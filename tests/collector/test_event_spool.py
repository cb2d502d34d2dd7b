"""The event spool on its own: batches come out once each, in the order they went in, across
segments, after a send that failed and after a restart; a batch cut short by a crash is
dropped with nothing after it lost."""

from agent_analytics.collector.event_spool import EventSpool
from agent_analytics.collector.self_metrics import SelfMetrics

BATCHES = [bytes([65 + i]) * 50 for i in range(12)]  # 50 bytes each, b"AAA...", b"BBB...", ...


def open_spool(directory, max_bytes=10**6) -> tuple[EventSpool, SelfMetrics]:
    metrics = SelfMetrics()
    spool = EventSpool(directory, max_bytes, metrics, sync=False)
    spool.segment_bytes = 200  # a few batches per segment, so sending crosses segments
    return spool, metrics


def put(spool, *indexes) -> None:
    for i in indexes:
        spool.wait(spool.stage(BATCHES[i], i + 1))


def test_batches_come_out_once_in_order_and_sent_segments_are_deleted(tmp_path):
    spool, metrics = open_spool(tmp_path)
    put(spool, 0, 1, 2, 3, 4)
    through, body, records = spool.oldest(120)  # two batches fit in 120 bytes
    assert (body, records) == (BATCHES[0] + BATCHES[1], 1 + 2)
    assert spool.oldest(120)[1] == body  # not marked sent (Loki failed): the same again
    assert spool.sent(through) == 3

    sent = [body]
    put(spool, 5, 6, 7)
    while (taken := spool.oldest(120)) is not None:
        sent.append(taken[1])
        spool.sent(taken[0])
        if len(sent) == 3:
            put(spool, 8, 9, 10, 11)
    assert b"".join(sent) == b"".join(BATCHES)
    assert metrics.get("agent_analytics_collector_spool_records") == 0
    assert metrics.get("agent_analytics_collector_spool_bytes") == 0
    assert len(spool) == 0
    spool.oldest(120)  # the sender's next look deletes what was sent, all but the open segment
    assert len(list(tmp_path.glob("*.wal"))) == 1
    spool.close()


def test_a_restart_sends_only_what_was_not_taken_and_cuts_a_torn_batch(tmp_path):
    spool, _ = open_spool(tmp_path)
    put(spool, 0, 1, 2)
    through, _, _ = spool.oldest(60)
    spool.sent(through)  # the first batch reached Loki
    spool.close()
    segment = max(tmp_path.glob("*.wal"), key=lambda p: p.stat().st_size)  # the one written
    segment.write_bytes(segment.read_bytes()[:-10])  # the last batch half written

    again, metrics = open_spool(tmp_path)
    assert metrics.get("agent_analytics_collector_spool_records") == 2
    _, body, records = again.oldest(10**6)
    assert (body, records) == (BATCHES[1], 2)
    again.close()


def test_past_its_size_the_oldest_batches_are_dropped_and_counted(tmp_path):
    spool, metrics = open_spool(tmp_path, max_bytes=120)
    put(spool, 0, 1, 2, 3)
    assert metrics.get("agent_analytics_collector_spool_dropped") == 1 + 2
    assert metrics.get("agent_analytics_collector_spool_records") == 3 + 4
    _, body, _ = spool.oldest(10**6)
    assert body == BATCHES[2] + BATCHES[3]
    spool.close()
