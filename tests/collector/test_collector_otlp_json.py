"""OTLP/JSON's own rules: hex trace and span ids, 64-bit integers as strings or numbers, enum
numbers, unknown fields ignored; a damaged state file stops the start with a clear message."""

import json

import pytest

from agent_analytics.collector import otlp_codec
from agent_analytics.collector.config import load_config
from agent_analytics.collector.service import CollectorService
from tests.support import loopback
from tests.support.scrape import scrape

LOG_JSON = {
    "resourceLogs": [
        {
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "codex"}}]},
            "scopeLogs": [
                {
                    "logRecords": [
                        {
                            "timeUnixNano": "1795553065872000000",
                            "traceId": "5b8efff798038103d269b633813fc60c",
                            "spanId": "eee19b7ec3c1b174",
                            "body": {"stringValue": "codex.api_request"},
                            "attributes": [
                                {"key": "input_tokens", "value": {"intValue": "1200"}},
                                {"key": "prompt", "value": {"stringValue": "secret"}},
                            ],
                            "someFutureField": 1,
                        }
                    ]
                }
            ],
        }
    ]
}


def test_log_json_hex_ids_and_int64_strings():
    request = otlp_codec.decode("logs", json.dumps(LOG_JSON).encode(), otlp_codec.JSON)
    record = request.resource_logs[0].scope_logs[0].log_records[0]
    assert record.trace_id.hex() == "5b8efff798038103d269b633813fc60c"
    assert record.span_id.hex() == "eee19b7ec3c1b174"
    assert record.time_unix_nano == 1795553065872000000
    assert record.attributes[0].value.int_value == 1200
    bad = json.loads(json.dumps(LOG_JSON))
    bad["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["traceId"] = "not-hex"
    with pytest.raises(otlp_codec.RequestError, match="traceId is not hex"):
        otlp_codec.decode("logs", json.dumps(bad).encode(), otlp_codec.JSON)


def test_metric_json_with_numbers_and_enum_integers(start_collector):
    service = start_collector()
    body = {
        "resourceMetrics": [
            {
                "scopeMetrics": [
                    {
                        "metrics": [
                            {
                                "name": "gemini_cli.token.usage",
                                "unit": "tokens",
                                "sum": {
                                    "aggregationTemporality": 2,
                                    "isMonotonic": True,
                                    "dataPoints": [
                                        {
                                            "startTimeUnixNano": 1,
                                            "timeUnixNano": 2,
                                            "asInt": 40,
                                            "attributes": [{"key": "model", "value": {"stringValue": "gemini-2.5"}}],
                                        }
                                    ],
                                },
                            },
                            {
                                "name": "gemini_cli.api.request.latency",
                                "unit": "ms",
                                "histogram": {
                                    "aggregationTemporality": 1,
                                    "dataPoints": [
                                        {
                                            "count": "3",
                                            "sum": 350.5,
                                            "bucketCounts": ["1", "2", "0"],
                                            "explicitBounds": [100, 1000],
                                        }
                                    ],
                                },
                            },
                        ]
                    }
                ]
            }
        ]
    }
    url = f"{service.endpoints['otlp_http']}/v1/metrics"
    for _ in range(2):
        response = loopback.post(url, json=body)
        assert response.status_code == 200 and response.json() == {}
    samples = scrape(service).series()
    # cumulative 40 twice from the same start: 40, not 80
    assert samples[("gemini_cli_token_usage_tokens_total", frozenset({"model": "gemini-2.5"}.items()))] == 40
    # delta histogram twice: counts add up
    latency = "gemini_cli_api_request_latency_milliseconds"
    assert samples[(f"{latency}_count", frozenset())] == 6
    assert samples[(f"{latency}_sum", frozenset())] == 701.0
    assert samples[(f"{latency}_bucket", frozenset({"le": "100.0"}.items()))] == 2
    assert samples[(f"{latency}_bucket", frozenset({"le": "1000.0"}.items()))] == 6
    assert samples[(f"{latency}_bucket", frozenset({"le": "+Inf"}.items()))] == 6


def test_damaged_state_stops_the_start_with_a_clear_message(tmp_path):
    (tmp_path / "metrics-state.json").write_text("{not json")
    service = CollectorService(load_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=tmp_path))
    with pytest.raises(ValueError, match="move it away to start from zero"):
        service.start()


def test_values_that_would_corrupt_a_counter_are_refused(start_collector):
    service = start_collector()
    points = [{"asDouble": "NaN"}, {"asDouble": "Infinity"}, {"asDouble": -2.0}, {"asDouble": 1.5}]
    body = {
        "resourceMetrics": [
            {
                "scopeMetrics": [
                    {
                        "metrics": [
                            {
                                "name": "claude_code.cost.usage",
                                "unit": "USD",
                                "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": points},
                            },
                            {"name": "odd.summary", "summary": {"dataPoints": [{"count": "1", "sum": 2.0}]}},
                        ]
                    }
                ]
            }
        ]
    }
    response = loopback.post(f"{service.endpoints['otlp_http']}/v1/metrics", json=body)
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedDataPoints"] == "4"
    samples = scrape(service).series()
    assert samples[("claude_code_cost_usage_USD_total", frozenset())] == 1.5
    rejected = "agent_analytics_collector_rejected_total"
    assert samples[(rejected, frozenset({"reason": "invalid_value"}.items()))] == 3
    assert samples[(rejected, frozenset({"reason": "unsupported_metric_type"}.items()))] == 1
