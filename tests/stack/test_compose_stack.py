"""The compose stack for real: where a container engine runs, bring compose.yaml up, send the
recorded Claude Code payloads through the real OTel Collector, and check that Prometheus holds
the same series as the embedded collector makes of them and that Loki answers the dashboards'
LogQL with the recorded events' figures. Without a container engine this is skipped."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_analytics.collector.config import load_config
from agent_analytics.collector.service import CollectorService
from tests.support import ground_truth, loopback
from tests.support.net import free_port, wait_until
from tests.support.scrape import scrape

ROOT = Path(__file__).resolve().parents[2]
DEVELOPER = "dev.one@example.com"
# labels the two forms may differ in: target labels and instrumentation scope
IGNORED_LABELS = {
    "job",
    "instance",
    "exported_job",
    "exported_instance",
    "otel_scope_name",
    "otel_scope_version",
    "otel_scope_schema_url",
}


def engine_unavailable() -> str | None:
    """Why the compose stack cannot run here, or None when it can."""
    if shutil.which("docker") is None:
        return "no docker CLI"
    try:
        import docker

        docker.from_env().ping()
    except Exception as e:  # no daemon, no socket, no permission
        return f"no container engine answers ({type(e).__name__}: {str(e).splitlines()[0][:120]})"
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        return "the docker compose plugin is not installed"
    return None


def series(samples: list[dict]) -> dict[tuple[str, frozenset], float]:
    out = {}
    for s in samples:
        labels = {k: v for k, v in s["metric"].items() if k != "__name__" and k not in IGNORED_LABELS}
        out[(s["metric"]["__name__"], frozenset(labels.items()))] = float(s["value"][1])
    return out


def post_fixtures(base: str, fixtures: Path) -> None:
    for signal in ("metrics", "logs"):
        for name, body, content_type in ground_truth.bodies(fixtures, signal):
            r = loopback.post(
                f"{base}/v1/{signal}",
                content=body,
                timeout=10,
                headers={"content-type": content_type, "x-developer-id": DEVELOPER},
            )
            assert r.status_code == 200, f"{name}: {r.status_code} {r.text[:200]}"


@pytest.fixture(scope="module")
def compose_stack(tmp_path_factory) -> Iterator[dict[str, str]]:
    reason = engine_unavailable()
    if reason:
        pytest.skip(f"compose stack not started: {reason}")
    from testcontainers.compose import DockerCompose

    ports = {
        name: free_port()
        for name in (
            "OTLP_GRPC_PORT",
            "OTLP_HTTP_PORT",
            "EXPORTER_PORT",
            "PROMETHEUS_PORT",
            "LOKI_PORT",
            "GRAFANA_PORT",
        )
    }
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env = {
        **{k: str(v) for k, v in ports.items()},
        "GRAFANA_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "OTLP_BIND": "127.0.0.1",
        "EXPORTER_BIND": "127.0.0.1",
        "REPOS_DIR": str(env_file.parent),
    }
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    stack = DockerCompose(ROOT, compose_file_name="compose.yaml", env_file=str(env_file), build=True, wait=True)
    with stack:
        urls = {
            "otlp_http": f"http://127.0.0.1:{ports['OTLP_HTTP_PORT']}",
            "prometheus": f"http://127.0.0.1:{ports['PROMETHEUS_PORT']}",
            "loki": f"http://127.0.0.1:{ports['LOKI_PORT']}",
            "grafana": f"http://127.0.0.1:{ports['GRAFANA_PORT']}",
            "password": env["GRAFANA_ADMIN_PASSWORD"],
        }
        yield urls


@pytest.fixture(scope="module")
def embedded_series(tmp_path_factory, claude_fixtures) -> dict:
    service = CollectorService(
        load_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=tmp_path_factory.mktemp("embedded"))
    )
    service.start()
    try:
        post_fixtures(service.endpoints["otlp_http"], claude_fixtures)
        out = {}
        for name, samples in scrape(service).items():
            for labels, value in samples:
                if name.startswith(("claude_code_", "gemini_cli_")):
                    labels = {k: v for k, v in labels.items() if k not in IGNORED_LABELS}
                    out[(name, frozenset(labels.items()))] = value
        return out
    finally:
        service.stop()


def prom_query(url: str, q: str) -> list[dict]:
    body = loopback.get(f"{url}/api/v1/query", params={"query": q}, timeout=30).json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def loki_query(url: str, q: str) -> list[dict]:
    body = loopback.get(f"{url}/loki/api/v1/query", params={"query": q}, timeout=30).json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def check_series(compose_stack, embedded_series, claude_fixtures):
    post_fixtures(compose_stack["otlp_http"], claude_fixtures)
    query = '{__name__=~"claude_code_.+|gemini_cli_.+"}'
    wait_until(
        lambda: series(prom_query(compose_stack["prometheus"], query)) == embedded_series,
        timeout=120,
        what="the compose stack's series equal the embedded collector's",
    )


def check_loki(compose_stack, claude_fixtures):
    records = [attrs for _, attrs in ground_truth.event_records(claude_fixtures)]
    cost = sum(float(a["cost_usd"]) for a in records if a["event.name"] == "api_request")
    errors = sum(1 for a in records if a["event.name"] == "api_error")

    def cost_matches() -> bool:
        result = loki_query(
            compose_stack["loki"],
            'sum(sum_over_time({service_name="claude-code"} | event_name="api_request" | unwrap cost_usd [24h]))',
        )
        return bool(result) and abs(float(result[0]["value"][1]) - cost) < 1e-9

    wait_until(cost_matches, timeout=120, what="Loki sums the api_request costs")
    result = loki_query(
        compose_stack["loki"], 'sum(count_over_time({service_name="claude-code"} | event_name="api_error" [24h]))'
    )
    assert float(result[0]["value"][1]) == errors
    # content attributes were dropped by the collector
    lines = loki_query(compose_stack["loki"], '{service_name="claude-code"} | event_name="user_prompt"')
    assert lines and all("prompt" not in stream["stream"] for stream in lines)


def check_grafana(compose_stack):
    auth = ("admin", compose_stack["password"])
    found = loopback.get(
        f"{compose_stack['grafana']}/api/search", params={"tag": "agent-analytics"}, auth=auth, timeout=30
    ).json()
    assert {d["uid"] for d in found} == {
        "aa-spend-roi",
        "aa-claude-code",
        "aa-productivity",
        "aa-copilot",
        "aa-budgets",
    }
    assert (
        loopback.get(f"{compose_stack['grafana']}/api/search", auth=("admin", "admin"), timeout=30).status_code == 401
    )


def test_compose_stack_matches_the_embedded_path(compose_stack, embedded_series, claude_fixtures):
    check_series(compose_stack, embedded_series, claude_fixtures)
    check_loki(compose_stack, claude_fixtures)
    check_grafana(compose_stack)
