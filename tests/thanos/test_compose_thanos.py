"""compose.thanos.yaml, the Thanos layout over compose.yaml, checked without a container engine: its
structure, the configs it mounts (against the single stack's, so they cannot drift apart), and
every Thanos command, rule file and the object store config accepted by the Thanos binary that
`make thanos` builds (the release the compose images pin)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from agent_analytics.exporter.config import parse_config
from agent_analytics.wire import remote_write
from agent_analytics.wire.past_counters import WRITABLE_DAYS
from tests.support.net import free_port
from tests.support.thanos import OUT_OF_ORDER_WINDOW, REPLICA_LABEL, require, version

ROOT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((ROOT / "compose.yaml").read_text())
THANOS = yaml.safe_load((ROOT / "compose.thanos.yaml").read_text())
SERVICES = THANOS["services"]
ADDED = {name: s for name, s in SERVICES.items() if name not in BASE["services"]}
COMPONENTS = {name: s for name, s in ADDED.items() if name.startswith("thanos-")}
GRPC = 10901


def flag(service: dict, name: str) -> list[str]:
    """The values of a `--name=value` argument of a service's command."""
    return [a.split("=", 1)[1] for a in service["command"] if a.startswith(f"--{name}=")]


def mounted(service: dict, target: str) -> str:
    """The host path of a bind mount of a service, relative to the repository."""
    (source,) = [v.split(":")[0] for v in service["volumes"] if v.split(":")[1] == target]
    return source


def test_images_are_pinned_to_the_release_make_thanos_builds():
    for name, service in COMPONENTS.items():
        assert service["image"] == f"quay.io/thanos/thanos:{version()}", name
    assert SERVICES["prometheus-b"]["image"] == BASE["services"]["prometheus"]["image"]
    assert set(ADDED) == {
        "prometheus-b",
        *(f"thanos-{c}" for c in ("sidecar-a", "sidecar-b", "receive", "store", "compact", "ruler", "query")),
    }


def test_every_added_service_has_a_health_check_and_keeps_its_state_in_a_named_volume():
    for name, service in ADDED.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
    for name in ("prometheus-b", "thanos-receive", "thanos-store", "thanos-compact", "thanos-ruler"):
        named = [v.split(":")[0] for v in ADDED[name]["volumes"] if not v.startswith("./")]
        assert named and set(named) <= set(THANOS["volumes"]), name
    # each sidecar reads its own replica's blocks
    for replica, volume in (("prometheus", "prometheus-data"), ("prometheus-b", "prometheus-b-data")):
        sidecar = SERVICES[f"thanos-sidecar-{'a' if replica == 'prometheus' else 'b'}"]
        assert flag(sidecar, "prometheus.url") == [f"http://{replica}:9090"]
        assert f"{volume}:/prometheus" in sidecar["volumes"]
        assert f"{volume}:/prometheus" in (
            SERVICES.get(replica, {}).get("volumes", []) + BASE["services"].get(replica, {}).get("volumes", [])
        )


def test_the_replicas_scrape_what_the_single_prometheus_scrapes_and_are_told_apart():
    single = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    replica = yaml.safe_load((ROOT / mounted(SERVICES["prometheus-b"], "/etc/prometheus/prometheus.yml")).read_text())
    assert replica["scrape_configs"] == single["scrape_configs"]
    assert replica["global"]["scrape_interval"] == single["global"]["scrape_interval"]
    assert replica["global"]["external_labels"] == {REPLICA_LABEL: "${REPLICA}"}
    assert "rule_files" not in replica  # the ruler evaluates them, over every store
    names = {SERVICES[s]["environment"]["REPLICA"] for s in ("prometheus", "prometheus-b")}
    assert names == {"a", "b"}
    for name in ("prometheus", "prometheus-b"):
        command = SERVICES[name]["command"]
        assert "--enable-feature=expand-external-labels" in command
        assert {"--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h"} <= set(command)
    done = subprocess.run(
        [
            shutil.which("promtool") or "promtool",
            "check",
            "config",
            "--syntax-only",
            str(ROOT / "thanos/prometheus.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_query_answers_over_every_store_api_deduplicating_on_the_replica_label():
    query = SERVICES["thanos-query"]
    assert flag(query, "query.replica-label") == [REPLICA_LABEL]
    endpoints = yaml.safe_load((ROOT / mounted(query, "/etc/thanos/query-endpoints.yml")).read_text())
    stores = {f"{name}:{GRPC}" for name, s in COMPONENTS.items() if flag(s, "grpc-address") and name != "thanos-query"}
    assert {e["address"] for e in endpoints["endpoints"]} == stores
    assert "thanos-ruler:10901" in stores  # rules read their own output back
    for name in ("thanos-receive", "thanos-ruler"):
        (label,) = flag(SERVICES[name], "label")
        assert label.split("=")[0] == REPLICA_LABEL, name


def test_receive_takes_history_as_far_back_as_the_single_prometheus():
    receive = SERVICES["thanos-receive"]
    single = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    window = single["storage"]["tsdb"]["out_of_order_time_window"]
    assert window == OUT_OF_ORDER_WINDOW == f"{WRITABLE_DAYS}d"
    assert flag(receive, "tsdb.out-of-order.time-window") == [window] == flag(receive, "tsdb.retention")
    assert "--compact.enable-vertical-compaction" in SERVICES["thanos-compact"]["command"]


def test_grafana_and_the_exporter_use_query_and_receive():
    base = yaml.safe_load((ROOT / "grafana/provisioning/datasources/datasources.yaml").read_text())["datasources"]
    target = "/etc/grafana/provisioning/datasources/datasources.yaml"
    thanos = yaml.safe_load((ROOT / mounted(SERVICES["grafana"], target)).read_text())["datasources"]
    query_port = flag(SERVICES["thanos-query"], "http-address")[0].rsplit(":", 1)[1]
    expected = [
        {**s, "url": f"http://thanos-query:{query_port}", "jsonData": {**s["jsonData"], "prometheusType": "Thanos"}}
        if s["type"] == "prometheus"
        else s
        for s in base
    ]
    assert thanos == expected
    config = parse_config(yaml.safe_load(THANOS["configs"]["exporter_config"]["content"]))
    assert config.prometheus_url == f"http://thanos-query:{query_port}"
    write_port = flag(SERVICES["thanos-receive"], "remote-write.address")[0].rsplit(":", 1)[1]
    receive = f"http://thanos-receive:{write_port}/api/v1/receive"
    assert config.history_url() == receive == remote_write.endpoint(receive)
    # without remote_write_url, history goes where it always went: Prometheus' own receiver
    single = parse_config({"prometheus_url": "http://prometheus:9090/"})
    assert remote_write.endpoint(single.history_url()) == "http://prometheus:9090/api/v1/write"
    assert remote_write.endpoint("https://proxy.example/prometheus") == "https://proxy.example/prometheus/api/v1/write"
    base_config = yaml.safe_load(BASE["configs"]["exporter_config"]["content"])
    overlay = yaml.safe_load(THANOS["configs"]["exporter_config"]["content"])
    assert {k: v for k, v in overlay.items() if k not in ("prometheus_url", "remote_write_url")} == {
        k: v for k, v in base_config.items() if k != "prometheus_url"
    }


def thanos(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(require()), *args], capture_output=True, text=True, env=env, timeout=60)


def test_every_thanos_command_is_one_the_built_release_accepts():
    for name, service in COMPONENTS.items():
        done = thanos(*service["command"], "--help")
        assert done.returncode == 0, f"{name}: {done.stderr[-500:]}"
    assert thanos("query", "--no-such-flag=1", "--help").returncode != 0  # the check can fail


def test_the_ruler_loads_the_rule_files_generated_for_it():
    ruler = SERVICES["thanos-ruler"]
    folder = ROOT / mounted(ruler, "/etc/thanos/rules")
    assert flag(ruler, "rule-file") == ["/etc/thanos/rules/*.yml"]
    files = sorted(folder.glob("*.yml"))
    assert [f.name for f in files] == sorted(p.name for p in (ROOT / "prometheus/rules").glob("*.yml"))
    done = thanos("tools", "rules-check", *(f"--rules={f}" for f in files))
    assert done.returncode == 0, done.stderr[-2000:]
    for path in files:
        groups = yaml.safe_load(path.read_text())["groups"]
        assert groups and all(g["partial_response_strategy"] == "warn" for g in groups), path.name


def test_the_object_store_config_addresses_the_bucket_of_the_environment():
    """Thanos reads thanos/objstore.yml with the THANOS_S3_* settings compose passes: its S3 client
    asks the configured endpoint for the configured bucket (nothing answers there here)."""
    port = free_port()
    settings = {
        name: value.split(":-", 1)[-1].rstrip("}") for name, value in COMPONENTS["thanos-store"]["environment"].items()
    }
    settings |= {
        "THANOS_S3_BUCKET": "agent-analytics-blocks",
        "THANOS_S3_ENDPOINT": f"127.0.0.1:{port}",
        "THANOS_S3_INSECURE": "true",
    }
    config = ROOT / mounted(SERVICES["thanos-store"], "/etc/thanos/objstore.yml")
    done = thanos("tools", "bucket", "ls", f"--objstore.config-file={config}", env={**os.environ, **settings})
    assert done.returncode != 0
    assert f"http://127.0.0.1:{port}/agent-analytics-blocks/" in done.stderr and "connection refused" in done.stderr
    missing = thanos("tools", "bucket", "ls", f"--objstore.config-file={config}", env={"PATH": os.environ["PATH"]})
    assert "THANOS_S3_BUCKET" in missing.stderr  # unset: named, not guessed


def test_the_ruler_sends_its_alerts_to_the_alertmanager_with_the_dashboard_link():
    """The ruler evaluates the alerts in this layout: it sends them where the single Prometheus
    does, relabelled as it relabels them."""
    command = SERVICES["thanos-ruler"]["command"]
    single = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())["alerting"]
    (target,) = single["alertmanagers"][0]["static_configs"][0]["targets"]
    assert flag(SERVICES["thanos-ruler"], "alertmanagers.url") == [f"http://{target}"]
    relabel = mounted(SERVICES["thanos-ruler"], flag(SERVICES["thanos-ruler"], "alert.relabel-config-file")[0])
    assert yaml.safe_load((ROOT / relabel).read_text()) == single["alert_relabel_configs"]
    assert "alertmanager" in {**BASE["services"], **THANOS["services"]}
    assert command[0] == "rule"
