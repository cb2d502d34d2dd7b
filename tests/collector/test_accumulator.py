"""The accumulator on its own, without a server: OTLP requests built here, accepted through the
label policy and folded, with the exact totals a user would read on /metrics."""

import json
import marshal

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1 import metrics_pb2

from agent_analytics.collector.accepted_points import accept
from agent_analytics.collector.accumulator import OVERFLOW_LABELS, Accumulator, rebucket
from agent_analytics.collector.label_policy import load_policy

DELTA = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE


def sum_request(points, temporality=CUMULATIVE, monotonic=True, name="app.cost", resource=(("service.name", "t"),)):
    """points: (attributes as (key, value) pairs in wire order, value, start time)."""
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    for key, value in resource:
        kv = rm.resource.attributes.add()
        kv.key, kv.value.string_value = key, value
    metric = rm.scope_metrics.add().metrics.add()
    metric.name, metric.unit = name, "USD"
    metric.sum.aggregation_temporality = temporality
    metric.sum.is_monotonic = monotonic
    for attributes, value, start in points:
        point = metric.sum.data_points.add()
        point.start_time_unix_nano = start
        point.time_unix_nano = start + 1
        point.as_double = value
        for key, text in attributes:
            kv = point.attributes.add()
            kv.key, kv.value.string_value = key, text
    return request


def histogram_request(bounds, counts, temporality=DELTA, start=1):
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add()
    metric.name, metric.unit = "app.latency", "ms"
    metric.histogram.aggregation_temporality = temporality
    point = metric.histogram.data_points.add()
    point.start_time_unix_nano = start
    point.explicit_bounds.extend(bounds)
    point.bucket_counts.extend(counts)
    point.count = sum(counts)
    point.sum = float(sum(counts))
    return request


def folded(accumulator, *requests, now=1000.0, policy=None):
    policy = policy or load_policy()
    results = []
    for request in requests:
        batch, _, _, _ = accept(request, policy, now=now)
        results.append(accumulator.apply(batch))
    return results


def test_a_stream_is_the_same_whatever_order_its_attributes_arrive_in():
    acc = Accumulator(load_policy().limit_for)
    first = sum_request([((("model", "m1"), ("effort", "high")), 10.0, 5)])
    reordered = sum_request([((("effort", "high"), ("model", "m1")), 12.0, 5)])
    resource_reordered = sum_request(
        [((("model", "m1"), ("effort", "high")), 15.0, 5)], resource=(("service.name", "t"),)
    )
    folded(acc, first, reordered, resource_reordered)
    assert acc.value("app.cost", {"model": "m1", "effort": "high"}) == 15.0
    assert len(acc.streams) == 1


def test_a_new_start_time_is_a_reset_and_counts_in_full():
    acc = Accumulator(load_policy().limit_for)
    folded(acc, sum_request([((("model", "m1"),), 10.0, 5)]), sum_request([((("model", "m1"),), 3.0, 9)]))
    assert acc.value("app.cost", {"model": "m1"}) == 13.0


def test_a_lower_value_of_a_monotonic_sum_is_a_reset_but_not_of_an_up_down_counter():
    acc = Accumulator(load_policy().limit_for)
    folded(acc, sum_request([((("model", "m1"),), 10.0, 5)]), sum_request([((("model", "m1"),), 4.0, 5)]))
    assert acc.value("app.cost", {"model": "m1"}) == 14.0
    updown = [sum_request([((), v, 5)], monotonic=False, name="app.in_flight") for v in (10.0, 4.0)]
    folded(acc, *updown)
    assert acc.value("app.in_flight", {}) == 4.0


def test_deltas_add_up_and_dropped_attributes_merge_sessions():
    acc = Accumulator(load_policy().limit_for)
    requests = [
        sum_request([((("model", "m1"), ("session.id", s)), v, 1)], temporality=DELTA)
        for s, v in (("a", 1.25), ("b", 2.5), ("a", 0.25))
    ]
    folded(acc, *requests)
    assert acc.value("app.cost", {"model": "m1"}) == 4.0


def test_cumulative_streams_of_two_sessions_each_count_once_after_session_id_is_dropped():
    acc = Accumulator(load_policy().limit_for)
    requests = [
        sum_request([((("model", "m1"), ("session.id", s)), v, 1)]) for s, v in (("a", 1.0), ("b", 5.0), ("a", 3.0))
    ]
    folded(acc, *requests)
    assert acc.value("app.cost", {"model": "m1"}) == 8.0


def test_histogram_bucket_layout_change_keeps_every_count_and_never_lowers_a_shared_bucket():
    acc = Accumulator(load_policy().limit_for)
    folded(acc, histogram_request([10.0, 100.0], [1, 2, 3]))
    folded(acc, histogram_request([10.0, 50.0, 100.0], [1, 0, 0, 1]))
    bounds, counts, total, count = acc.value("app.latency", {})
    assert bounds == (10.0, 50.0, 100.0)
    # old 1|2|3 moved to 1|0|2|3, then 1|0|0|1 added
    assert counts == [2, 0, 2, 4]
    assert (total, count) == (8.0, 8)
    assert rebucket((10.0, 100.0), [1, 2, 3], (5.0, 100.0)) == [0, 3, 3]


def test_cumulative_histogram_increments_and_its_reset():
    acc = Accumulator(load_policy().limit_for)
    folded(
        acc,
        histogram_request([10.0], [1, 1], CUMULATIVE, start=1),
        histogram_request([10.0], [3, 1], CUMULATIVE, start=1),
        histogram_request([10.0], [1, 0], CUMULATIVE, start=2),
    )
    assert acc.value("app.latency", {})[1:] == [[4, 1], 5.0, 5]


def test_overflow_past_the_cardinality_limit_is_folded_and_counted():
    policy = load_policy({"metrics": {"cardinality_limit": 2}})
    acc = Accumulator(policy.limit_for)
    request = sum_request([((("model", m),), 1.0, 1) for m in ("a", "b", "c", "d")], temporality=DELTA)
    [(conflicting, overflow)] = folded(acc, request, policy=policy)
    assert (conflicting, overflow) == (0, {"app.cost": 2})
    assert acc.value("app.cost", {"model": "a"}) == 1.0
    assert acc.families["app.cost"].series[OVERFLOW_LABELS] == 2.0


def test_one_name_with_two_types_keeps_the_first():
    acc = Accumulator(load_policy().limit_for)
    folded(acc, sum_request([((), 1.0, 1)], temporality=DELTA))
    gauge = ExportMetricsServiceRequest()
    metric = gauge.resource_metrics.add().scope_metrics.add().metrics.add()
    metric.name = "app.cost"
    metric.gauge.data_points.add().as_double = 7.0
    [(conflicting, _)] = folded(acc, gauge)
    assert conflicting == 1
    assert acc.value("app.cost", {}) == 1.0


def test_streams_idle_past_the_ttl_are_forgotten():
    acc = Accumulator(load_policy().limit_for, stream_ttl_seconds=100)
    folded(acc, sum_request([((), 5.0, 1)]), now=1000.0)
    folded(acc, sum_request([((("k", "v"),), 1.0, 1)]), now=1150.0)
    assert acc.expire_streams(now=1200.0) == 1
    # the forgotten stream's next point is a new stream: its whole value counts
    folded(acc, sum_request([((), 7.0, 1)]), now=1201.0)
    assert acc.value("app.cost", {}) == 12.0
    assert len(acc.streams) == 2


def test_save_load_and_replay_give_the_totals_of_one_uninterrupted_run():
    policy = load_policy()
    requests = [sum_request([((("model", "m1"),), v, 1)]) for v in (1.0, 2.5, 4.0)] + [
        histogram_request([10.0], [2, 1], CUMULATIVE),
        histogram_request([10.0], [3, 1], CUMULATIVE),
    ]
    batches = [accept(r, policy, now=1000.0 + i)[0] for i, r in enumerate(requests)]

    straight = Accumulator(policy.limit_for)
    for batch in batches:
        straight.apply(batch)

    # a snapshot after two batches, the rest replayed from their logged (marshalled) form
    first = Accumulator(policy.limit_for)
    for batch in batches[:2]:
        first.apply(batch)
    snapshot = json.loads(json.dumps(first.to_data()))
    restored = Accumulator(policy.limit_for)
    restored.load_data(snapshot)
    for batch in batches[2:]:
        restored.apply(marshal.loads(marshal.dumps(batch, 4)))

    assert restored.value("app.cost", {"model": "m1"}) == 4.0
    assert restored.value("app.latency", {}) == [(10.0,), [3, 1], 4.0, 4]
    assert restored.to_data() == straight.to_data()
