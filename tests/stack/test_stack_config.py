"""compose.yaml, the OTel Collector config and the Loki config have the properties the stack
promises: pinned images, health checks, secrets not in the repository, loopback binds for
Prometheus/Loki/Grafana, and the same label policy as the embedded collector."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from agent_analytics.collector.label_policy import load_policy
from agent_analytics.vocabulary import model_names

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
OTELCOL = yaml.safe_load((ROOT / "collector" / "otelcol.yaml").read_text())
OTELCOL_AUTH = yaml.safe_load((ROOT / "collector" / "otelcol.auth.yaml").read_text())
LOKI = yaml.safe_load((ROOT / "loki" / "loki.yaml").read_text())


def expand(text: str, env: dict[str, str] | None = None) -> str:
    """Compose interpolation of ${VAR:-default} / ${VAR:?message} / ${VAR} with `env`."""
    env = env or {}

    def one(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in env:
            return env[name]
        if op == ":-":
            return arg
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return ""

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:-|:\?)([^}]*))?\}", one, text)


def published(service: str) -> dict[int, str]:
    """Container port -> host address it is published on, with the defaults of compose.yaml."""
    out = {}
    for spec in SERVICES[service].get("ports", []):
        host, _host_port, container = expand(spec).rsplit(":", 2)
        out[int(container)] = host
    return out


def one_shot(name: str) -> bool:
    """A service that runs to completion before the ones that need it (no restart, no health)."""
    return any(
        dep.get("condition") == "service_completed_successfully" and dependency == name
        for service in SERVICES.values()
        for dependency, dep in service.get("depends_on", {}).items()
    )


def test_every_image_is_pinned_to_a_version():
    images = {name: s["image"] for name, s in SERVICES.items() if "build" not in s}
    assert set(images) == {"otel-collector", "prometheus", "loki", "grafana", "alertmanager"}
    for name, image in images.items():
        repo, _, tag = image.rpartition(":")
        assert repo and re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: {image} is not pinned to a release"
    assert images["otel-collector"].startswith("otel/opentelemetry-collector-contrib:")
    assert re.fullmatch(r"prom/prometheus:v3\.\d+\.\d+", images["prometheus"])
    assert re.fullmatch(r"grafana/loki:3\.\d+\.\d+", images["loki"])
    assert images["grafana"].startswith("grafana/grafana:")
    assert re.fullmatch(r"prom/alertmanager:v0\.\d+\.\d+", images["alertmanager"])


def test_the_exporter_is_built_from_the_repository_dockerfile():
    build = SERVICES["exporter"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["agent-analytics", "exporter"]' in dockerfile
    assert "USER " in dockerfile  # not root


def test_every_service_has_a_health_check():
    for name, service in SERVICES.items():
        if one_shot(name):
            continue
        check = service.get("healthcheck", {}).get("test")
        assert check and check[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"


def test_state_lives_in_named_volumes():
    assert set(COMPOSE["volumes"]) == {
        "exporter-data",
        "prometheus-data",
        "loki-data",
        "grafana-data",
        "alertmanager-data",
    }
    named = [("prometheus", "prometheus-data"), ("loki", "loki-data"), ("grafana", "grafana-data")]
    for name, volume in [*named, ("alertmanager", "alertmanager-data")]:
        assert any(v.startswith(f"{volume}:") for v in SERVICES[name]["volumes"]), name


def test_prometheus_loki_and_grafana_listen_on_loopback_and_otlp_is_open():
    assert published("prometheus") == {9090: "127.0.0.1"}
    assert published("loki") == {3100: "127.0.0.1"}
    assert published("grafana") == {3000: "127.0.0.1"}
    assert published("alertmanager") == {9093: "127.0.0.1"}
    assert published("otel-collector") == {4317: "0.0.0.0", 4318: "0.0.0.0"}


def test_grafana_needs_an_admin_password_and_none_is_in_the_repository():
    env = SERVICES["grafana"]["environment"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", env["GF_SECURITY_ADMIN_PASSWORD"])
    try:
        expand(env["GF_SECURITY_ADMIN_PASSWORD"])
        raise AssertionError("compose starts Grafana without a password")
    except KeyError as e:
        assert "GRAFANA_ADMIN_PASSWORD" in str(e)
    assert expand(env["GF_SECURITY_ADMIN_PASSWORD"], {"GRAFANA_ADMIN_PASSWORD": "s3cret"}) == "s3cret"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    example = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines() if re.match(r"^[A-Z_]+=", line)
    )
    assert example["GRAFANA_ADMIN_PASSWORD"] == "" and example["GITHUB_TOKEN"] == ""
    for key in ("ANTHROPIC_ADMIN_KEY", "ANTHROPIC_ANALYTICS_KEY", "CURSOR_ADMIN_KEY", "OPENAI_ADMIN_KEY"):
        assert example[key] == "" and SERVICES["exporter"]["environment"][key] == f"${{{key}:-}}"
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    for name in ("compose.yaml", "collector/otelcol.yaml", "collector/otelcol.auth.yaml"):
        text = (ROOT / name).read_text().lower()
        assert "admin/admin" not in text and "ghp_" not in text, name


def test_grafana_provisions_the_datasources_and_dashboards_it_mounts():
    mounts = {v.split(":")[1]: v.split(":")[0] for v in SERVICES["grafana"]["volumes"] if v.startswith("./")}
    assert mounts == {
        "/etc/grafana/provisioning": "./grafana/provisioning",
        "/var/lib/grafana/dashboards": "./grafana/dashboards",
    }
    sources = yaml.safe_load((ROOT / "grafana/provisioning/datasources/datasources.yaml").read_text())["datasources"]
    assert {(s["type"], s["uid"], s["url"]) for s in sources} == {
        ("prometheus", "aa-prometheus", "http://prometheus:9090"),
        ("loki", "aa-loki", "http://loki:3100"),
        ("alertmanager", "aa-alertmanager", "http://alertmanager:9093"),
    }
    provider = yaml.safe_load((ROOT / "grafana/provisioning/dashboards/dashboards.yaml").read_text())["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_collector_receives_otlp_with_request_metadata_and_optional_bearer_auth():
    protocols = OTELCOL["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317") and protocols["http"]["endpoint"].endswith(":4318")
    assert protocols["grpc"]["include_metadata"] and protocols["http"]["include_metadata"]
    auth = OTELCOL_AUTH["receivers"]["otlp"]["protocols"]
    assert auth["grpc"]["auth"]["authenticator"] == auth["http"]["auth"]["authenticator"] == "bearertokenauth"
    assert OTELCOL_AUTH["extensions"]["bearertokenauth"]["token"] == "${env:OTEL_BEARER_TOKEN}"
    assert "bearertokenauth" in OTELCOL_AUTH["service"]["extensions"]


def test_collector_pipelines_limit_memory_first_and_convert_deltas_before_the_prometheus_exporter():
    pipelines = OTELCOL["service"]["pipelines"]
    for pipeline in pipelines.values():
        assert pipeline["processors"][0] == "memory_limiter" and "batch" in pipeline["processors"]
    assert pipelines["logs"]["processors"][-1] == "batch"
    metrics = pipelines["metrics"]
    assert metrics["exporters"] == ["prometheus"]
    # cumulative streams become deltas while session.id still separates them; the label policy
    # runs after batch (points in order); deltatocumulative adds up what it merged
    order = metrics["processors"]
    assert order.index("cumulativetodelta") < order.index("batch") < order.index("transform/metrics_policy")
    assert order[-1] == "deltatocumulative"
    prometheus = OTELCOL["exporters"]["prometheus"]
    assert prometheus["resource_to_telemetry_conversion"]["enabled"] is False
    assert prometheus["endpoint"].endswith(":8889")
    hours = int(prometheus["metric_expiration"].rstrip("h"))
    assert hours >= 24 * 7
    assert int(OTELCOL["processors"]["deltatocumulative"]["max_stale"].rstrip("h")) >= hours
    assert pipelines["logs"]["exporters"] == ["otlp_http/loki"]
    assert OTELCOL["exporters"]["otlp_http/loki"]["endpoint"].endswith("http://loki:3100/otlp}")
    scrape = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())["scrape_configs"]
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in scrape}
    assert targets["collector"] == ["otel-collector:8889"] and targets["exporter"] == ["exporter:9465"]


def ottl_string(text: str) -> str:
    """An OTTL string literal's value (backslash escapes)."""
    return re.sub(r"\\(.)", r"\1", text)


def test_collector_applies_the_embedded_collectors_label_policy():
    policy = load_policy()
    metric_statements = [
        s
        for block in OTELCOL["processors"]["transform/metrics_policy"]["metric_statements"]
        for s in block["statements"]
    ]
    deleted = set(re.findall(r'delete_key\(attributes, "([^"]+)"\)', "\n".join(metric_statements)))
    assert deleted == set(policy.drop_attributes)
    patterns = re.findall(
        r'replace_pattern\(attributes\["model"\], "((?:[^"\\]|\\.)*)", "(.*)"\)', "\n".join(metric_statements)
    )
    rules = model_names.rewrites()
    assert [(ottl_string(p), r) for p, r in patterns] == rules
    # the pattern behaves as the embedded collector's on the recorded model names
    assert re.sub(ottl_string(patterns[0][0]), "", "claude-opus-4-8[1m]") == "claude-opus-4-8"
    # one model name per model: events name models as metrics do, without a release date
    event_statements = "\n".join(OTELCOL["processors"]["transform/events_policy"]["log_statements"][1]["statements"])
    event_patterns = re.findall(
        r'replace_pattern\(attributes\["model"\], "((?:[^"\\]|\\.)*)", "(.*)"\)', event_statements
    )
    assert [(ottl_string(p), r) for p, r in event_patterns] == rules
    normalise = policy.rewrites["model"]
    assert normalise("claude-sonnet-4-5-20250929") == "claude-sonnet-4-5"
    assert normalise("gpt-5-codex-2025-09-15") == "gpt-5-codex"
    assert normalise("claude-sonnet-4-5-20250929[1m]") == "claude-sonnet-4-5"

    content_block, _ = OTELCOL["processors"]["transform/events_policy"]["log_statements"]
    removed = set(re.findall(r'delete_key\(attributes, "([^"]+)"\)', "\n".join(content_block["statements"])))
    assert removed == set(policy.content_attributes)
    assert content_block["conditions"] == ['"${env:AGENT_ANALYTICS_LOG_PROMPTS:-false}" != "true"']

    developer = OTELCOL["processors"]["attributes/developer"]["actions"]
    assert developer == [
        {"key": policy.developer_attribute, "from_context": f"metadata.{policy.developer_header}", "action": "insert"}
    ]  # insert: only when the data has no developer.id


def test_loki_ingests_otlp_with_structured_metadata_service_name_and_retention():
    limits = LOKI["limits_config"]
    assert limits["allow_structured_metadata"] is True
    assert any(c["schema"] == "v13" and c["store"] == "tsdb" for c in LOKI["schema_config"]["configs"])
    resource = limits["otlp_config"]["resource_attributes"]
    assert resource["attributes_config"] == [{"action": "index_label", "attributes": ["service.name"]}]
    assert LOKI["compactor"]["retention_enabled"] is True
    assert int(limits["retention_period"].rstrip("h")) >= 24 * 30


def test_loki_retention_has_what_loki_3_needs_to_start():
    # Loki 3 refuses retention_enabled without a delete request store
    compactor = LOKI["compactor"]
    assert compactor["delete_request_store"] == LOKI["schema_config"]["configs"][-1]["object_store"]
    assert compactor["working_directory"].startswith(LOKI["common"]["path_prefix"])


def test_pipeline_alerts_watch_the_series_this_collector_config_produces():
    """The alert rules name the collector's self-metrics by exporter id and scrape job: renaming
    the Loki exporter or moving the telemetry port must not silence them."""
    alerts = {
        r["alert"]: r["expr"]
        for g in yaml.safe_load((ROOT / "prometheus/rules/agent_analytics.alerts.yml").read_text())["groups"]
        for r in g["rules"]
    }
    loki_exporters = OTELCOL["service"]["pipelines"]["logs"]["exporters"]
    pattern = re.search(r'exporter=~"([^"]+)"', alerts["LokiForwardingFailing"]).group(1)
    assert loki_exporters and all(re.fullmatch(pattern, name) for name in loki_exporters)
    # the deprecated otlphttp alias logs a warning at every start since 0.144
    assert not any(name.split("/")[0] in ("otlphttp", "otlp") for name in OTELCOL["exporters"])
    reader = OTELCOL["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]
    scrape = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())["scrape_configs"]
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in scrape}
    assert targets["collector-self"] == [f"otel-collector:{reader['port']}"] and reader["host"] == "0.0.0.0"
    for job in ("collector", "exporter"):
        assert f'up{{job="{job}"}}' in " ".join(alerts.values()) and job in targets
