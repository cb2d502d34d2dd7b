"""A wrong collector endpoint, as a new user types it: caught by `init`, told apart by `doctor`."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent_analytics.workstation import config as workstation
from tests.support.net import free_port
from tests.support.workstation import cli, isolated_home


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("endpoint", "use"),
    [
        ("http://collector.internal:4317", "http://collector.internal:4318"),
        ("http://collector.internal:4318/v1/metrics", "http://collector.internal:4318"),
        ("https://otel.acme.dev/otlp/v1/logs/", "https://otel.acme.dev/otlp"),
    ],
)
def test_init_explains_a_grpc_port_or_a_signal_path_and_writes_nothing(home, endpoint, use):
    result = cli("init", "--yes", "--no-hook", "--endpoint", endpoint)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {endpoint.rstrip('/')} ")
    assert lines[0].endswith(f"pass {use}" if "4317" not in endpoint else f"pass the OTLP/HTTP port, {use}")
    assert "gRPC" in lines[0] if "4317" in endpoint else "/v1/metrics and /v1/logs themselves" in lines[0]
    assert not workstation.config_path().exists()
    assert not (home / ".claude" / "settings.json").exists()
    # What it suggests is accepted.
    assert cli("init", "--yes", "--no-hook", "--endpoint", use).exit_code == 0


@contextmanager
def serving(server: ThreadingHTTPServer):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class NotOtlp(BaseHTTPRequestHandler):
    """A web server that is not an OTLP receiver: every request gets an HTML page."""

    def log_message(self, *args) -> None:
        pass

    def _page(self) -> None:
        body = b"<html><body>It works!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def tls_only(certificate: tuple[Path, Path]):
    """A listener that speaks only TLS (with a certificate nobody trusts)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotOtlp)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server) as address:
        yield address


def collector_check(endpoint: str) -> dict:
    result = cli("doctor", "--json", "--endpoint", endpoint)
    assert result.exit_code == 1
    return next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "collector")


def test_doctor_tells_refused_tls_and_not_otlp_apart_each_with_its_fix(home, certificate):
    nothing = f"http://127.0.0.1:{free_port()}"
    assert collector_check(nothing) == {
        "name": "collector",
        "status": "fail",
        "detail": f"{nothing} unreachable (connection refused)",
        "fix": "start the collector (`agent-analytics up`, or `docker compose up -d` on the server),"
        " or fix the endpoint: `agent-analytics init --endpoint URL`",
    }

    with tls_only(certificate) as address:
        plain = collector_check(f"http://{address}")
        untrusted = collector_check(f"https://{address}")
    assert (
        plain["detail"] == f"http://{address}: TLS failure, the server expects TLS and closed the plain HTTP connection"
    )
    assert plain["fix"] == f"use https://: `agent-analytics init --endpoint https://{address}`"
    assert untrusted["detail"].startswith(f"https://{address}: TLS failure, the certificate is not trusted (")
    assert "self-signed" in untrusted["detail"] or "self signed" in untrusted["detail"]
    assert untrusted["fix"].startswith("give the collector a certificate from a CA this machine trusts")

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), NotOtlp)) as address:
        web = collector_check(f"http://{address}")
        wrong_scheme = collector_check(f"https://{address}")
    assert web["detail"] == f"http://{address} answers, but not OTLP/HTTP: POST /v1/metrics got 200 text/html"
    assert web["fix"].startswith("point the endpoint at the collector's OTLP/HTTP port (4318 by default; 4317 is gRPC)")
    assert wrong_scheme["detail"].startswith(f"https://{address}: TLS failure (")
    assert (
        wrong_scheme["fix"]
        == f"use http:// if the collector serves plain HTTP: `agent-analytics init --endpoint http://{address}`"
    )

    human = cli("doctor", "--endpoint", nothing)
    assert f"✗ collector: {nothing} unreachable (connection refused)\n    fix: start the collector" in human.stdout


def test_a_grpc_listener_at_the_endpoint_is_not_otlp_http(home):
    """The embedded collector's real gRPC port, given where OTLP/HTTP belongs (on another port than 4317)."""
    from agent_analytics.collector.config import load_config
    from agent_analytics.collector.service import CollectorService

    service = CollectorService(load_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=home / "c"))
    service.start()
    try:
        grpc = f"http://{service.endpoints['otlp_grpc']}"
        check = collector_check(grpc)
    finally:
        service.stop()
    assert check["detail"].startswith(f"{grpc} answers, but not OTLP/HTTP"), check
    assert "4317 is gRPC" in check["fix"]


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    """The embedded collector: its OTLP/HTTP port is a receiver, its metrics port is not."""
    from agent_analytics.collector.config import load_config
    from agent_analytics.collector.service import CollectorService

    data = tmp_path_factory.mktemp("collector")
    service = CollectorService(load_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=data))
    service.start()
    yield service.endpoints
    service.stop()


def wrong_endpoints(collector) -> dict[str, tuple[str, str]]:
    """A new user's likely mistakes: (endpoint, what init says about it)."""
    closed = f"http://127.0.0.1:{free_port()}"
    metrics = collector["metrics"].removesuffix("/metrics")
    return {
        "closed port": (closed, f"{closed} unreachable (connection refused): start the collector"),
        "metrics port": (metrics, f"{metrics} answers, but not OTLP/HTTP: POST /v1/metrics got "),
        "no such host": (
            "http://collector.does-not-resolve.invalid:4318",
            "http://collector.does-not-resolve.invalid:4318 unreachable: collector.does-not-resolve.invalid does"
            " not resolve (DNS): check the host name in the endpoint",
        ),
    }


def test_init_refuses_an_endpoint_that_is_no_otlp_receiver_and_with_yes_warns(home, collector):
    for mistake, (endpoint, says) in wrong_endpoints(collector).items():
        refused = cli("init", "--no-hook", "--endpoint", endpoint, input="\n" * 6)
        assert refused.exit_code == 1, mistake
        error = refused.stderr.strip().splitlines()
        assert len(error) == 1 and error[0].startswith(f"error: {says}"), (mistake, error)
        assert error[0].endswith("; or pass --yes to configure this endpoint anyway")
        assert not workstation.config_path().exists() and not (home / ".claude").exists()

        warned = cli("init", "--yes", "--no-hook", "--endpoint", endpoint, "--json")
        assert warned.exit_code == 0, mistake
        assert warned.stderr.startswith(f"warning: {says}") and warned.stderr.count("\n") == 1
        check = json.loads(warned.stdout)["endpoint_check"]
        assert check["status"] == "fail" and check["detail"] in warned.stderr
        workstation.config_path().unlink()  # as before the next mistake
        shutil.rmtree(home / ".claude")

    accepted = cli("init", "--no-hook", "--endpoint", collector["otlp_http"], input="\n" * 6)
    assert accepted.exit_code == 0 and accepted.stderr == ""
    assert workstation.load().endpoint == collector["otlp_http"]


def test_doctor_names_dns_tls_and_refused_connections_apart_for_every_service(home, certificate):
    dns = "http://analytics.does-not-resolve.invalid:4318"
    check = collector_check(dns)
    assert check["detail"] == f"{dns} unreachable: analytics.does-not-resolve.invalid does not resolve (DNS)"
    assert check["fix"] == "check the host name in the endpoint: `agent-analytics init --endpoint URL`"

    def exporter_check(url: str) -> dict:
        result = cli("doctor", "--json", "--endpoint", f"http://127.0.0.1:{free_port()}", "--exporter-url", url)
        return next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "exporter")

    closed = f"http://127.0.0.1:{free_port()}"
    assert exporter_check(closed)["detail"] == f"{closed} unreachable (connection refused)"
    nowhere = "http://exporter.does-not-resolve.invalid:9465"
    assert exporter_check(nowhere)["detail"] == (
        f"{nowhere} unreachable: exporter.does-not-resolve.invalid does not resolve (DNS)"
    )
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), NotOtlp)) as address:
        https_to_http = exporter_check(f"https://{address}")
    assert https_to_http["detail"].startswith(f"https://{address}: TLS failure (")
    assert https_to_http["detail"].endswith("): the server does not speak TLS")
    assert https_to_http["fix"] == f"use http://{address}"
    with tls_only(certificate) as address:
        http_to_https = exporter_check(f"http://{address}")
    assert http_to_https == {
        "name": "exporter",
        "status": "fail",
        "detail": f"http://{address}: TLS failure, the server expects TLS",
        "fix": f"use https://{address}",
    }


def test_init_says_what_it_configures_by_default(home):
    text = " ".join(cli("init", "--help").stdout.split())
    assert "the agents' telemetry (Claude Code unless --agents names others) and the git hook" in text
    assert "init refuses one that is not an OTLP/HTTP receiver" in text
