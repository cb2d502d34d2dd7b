"""Both /metrics endpoints as a scraper meets them: OpenMetrics when it asks for it, gzipped when it
accepts gzip, plain text otherwise; `promtool check metrics` finds nothing to fix; and every
family the exporter serves is one the vocabulary declares."""

from __future__ import annotations

import gzip
import subprocess

import httpx
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from agent_analytics.collector.config import load_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.vocabulary import series
from tests.collector.payloads import load_payloads
from tests.exporter.helpers import GitRepo
from tests.support import loopback

OPENMETRICS = {"Accept": "application/openmetrics-text; version=1.0.0", "Accept-Encoding": "gzip"}


@pytest.fixture(scope="module")
def collector(tmp_path_factory, claude_fixtures):
    settings = {"data_dir": tmp_path_factory.mktemp("collector")}
    service = CollectorService(load_config(None, grpc_port=0, http_port=0, metrics_port=0, **settings)).start()
    for path, request in load_payloads(claude_fixtures, "metrics"):
        body = request.SerializeToString()
        headers = {"Content-Type": "application/x-protobuf"}
        sent = loopback.post(f"http://127.0.0.1:{service.http_port}/v1/metrics", content=body, headers=headers)
        assert sent.is_success, path
    yield f"http://127.0.0.1:{service.metrics_port}/metrics"
    service.stop()


@pytest.fixture(scope="module")
def exporter(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exporter")
    repo = GitRepo(folder / "svc")
    repo.commit("one\n\nCo-authored-by: Codex <noreply@openai.com>", lines=3)
    config = parse_config({"repos": [str(repo.path)], "budgets": {"web": 100}, "seat_prices": {"cursor": 40}})
    service = ExporterService(config, port=0, data_dir=folder / "data", poll=False).start()
    service.scan_now()
    yield f"http://127.0.0.1:{service.port}/metrics"
    service.stop()


@pytest.mark.parametrize("endpoint", ["collector", "exporter"])
def test_openmetrics_gzipped_when_asked(endpoint, request):
    url = request.getfixturevalue(endpoint)
    with httpx.stream("GET", url, headers=OPENMETRICS, timeout=10) as raw:
        assert raw.status_code == 200
        assert raw.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
        assert raw.headers["content-encoding"] == "gzip"
        body = gzip.decompress(b"".join(raw.iter_raw())).decode()  # the bytes as sent
    assert body.endswith("# EOF\n")
    assert list(text_string_to_metric_families(body))
    plain = loopback.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "content-encoding" not in plain.headers


@pytest.mark.parametrize("endpoint", ["collector", "exporter"])
def test_promtool_check_metrics_is_clean(endpoint, request):
    text = loopback.get(request.getfixturevalue(endpoint), timeout=10).text
    checked = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout + checked.stderr


def test_every_exporter_family_is_declared(exporter):
    families = {f.name for f in text_string_to_metric_families(loopback.get(exporter, headers=OPENMETRICS).text)}
    declared = {s.base if s.kind == series.COUNTER else str(s) for s in series.declared()}
    # OpenMetrics names a counter family without `_total`
    declared |= {str(s).removesuffix("_total") for s in series.declared()}
    assert families and not families - declared
