"""Servers that cannot come up: `exporter`, `collector` and `up` stop with one line naming the port
or the cause, and the helper they share never reports a server that is not answering."""

import socket
import subprocess
import sys
from contextlib import contextmanager

import pytest

from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.wire.serving import Servers, listen
from tests.support.net import free_port
from tests.support.up_process import env_for, port_args, read_until, running_up, stop

pytestmark = pytest.mark.long

CLI = [sys.executable, "-m", "agent_analytics.cli"]
BUSY = "Address already in use"


def aa(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=90, env=env)


@contextmanager
def taken_port():
    """A port some other program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_exporter_on_a_taken_port_exits_1_naming_it(tmp_path):
    config = tmp_path / "exporter.yaml"
    config.write_text("repos: []\n")
    with taken_port() as port:
        result = aa("exporter", "--config", str(config), "--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    assert result.stdout == ""  # never "listening"
    assert (
        one_line(result) == f"error: cannot listen on 127.0.0.1:{port} for the exporter ({BUSY}); choose another --port"
    )


@pytest.mark.parametrize(
    ("flag", "what"), [("--http-port", "collector OTLP/HTTP"), ("--grpc-port", "collector OTLP/gRPC")]
)
def test_collector_on_a_taken_port_exits_1_naming_it(tmp_path, flag, what):
    ports = {"--grpc-port": "0", "--http-port": "0", "--metrics-port": "0"}
    with taken_port() as port:
        ports[flag] = str(port)
        args = [a for pair in ports.items() for a in pair]
        result = aa("collector", *args, "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    assert result.stdout == ""
    line = one_line(result)
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port} for the {what}")
    assert line.endswith("stop what uses it (another collector?) or choose another port")


@pytest.mark.prometheus
def test_up_names_every_busy_port_in_one_line(tmp_path):
    args = port_args()
    with taken_port() as exporter, taken_port() as prometheus:
        args[args.index("--exporter-port") + 1] = str(exporter)
        args[args.index("--prometheus-port") + 1] = str(prometheus)
        result = aa("up", "--data-dir", str(tmp_path / "d"), *args, env=env_for(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert one_line(result) == (
        f"error: ports already in use: {exporter} (exporter, --exporter-port), {prometheus} (Prometheus,"
        " --prometheus-port): stop what uses them, or choose others with those flags (or the ports section of the"
        " --config file)"
    )


@pytest.mark.prometheus
def test_up_reports_a_config_typo_before_any_port(tmp_path):
    config = tmp_path / "stack.yaml"
    config.write_text("collector:\n  host: 127.0.0.1\n  log_prompt: true\n")
    args = port_args()
    with taken_port() as prometheus:
        args[args.index("--prometheus-port") + 1] = str(prometheus)
        result = aa("up", "--config", str(config), "--data-dir", str(tmp_path / "d"), *args, env=env_for(tmp_path))
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"error: {config}: collector.log_prompt: unknown key; expected one of auth_tokens,")
    assert line.endswith(" (line 3)") and "log_prompts" in line


@pytest.mark.prometheus
def test_a_standalone_exporter_refuses_the_data_dir_of_a_running_up(tmp_path):
    data_dir = tmp_path / "data"
    config = tmp_path / "exporter.yaml"
    config.write_text("repos: []\n")
    env = env_for(tmp_path)
    with running_up(["--data-dir", str(data_dir), *port_args()], env) as up:
        read_until(up, "Ctrl-C stops it")
        own = aa(
            "exporter", "--config", str(config), "--port", str(free_port()), "--data-dir", str(data_dir / "exporter")
        )
        # the default data dir of both is the user data folder
        default = aa("exporter", "--config", str(config), "--once", env={**env, "XDG_DATA_HOME": str(tmp_path)})
        stop(up)
    assert own.returncode == 1
    assert one_line(own) == (
        f"error: {data_dir / 'exporter'} belongs to the `agent-analytics up` running on {data_dir} (pid {up.pid}):"
        " use the exporter that `up` runs, or pass another --data-dir"
    )
    assert default.returncode == 0, default.stderr  # another data folder: not owned by that up
    after = aa("exporter", "--config", str(config), "--once", "--data-dir", str(data_dir / "exporter"))
    assert after.returncode == 0, after.stderr  # up stopped: the folder is free again


class Lifespan:
    """An ASGI app that answers every request with 204."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})


def test_servers_answer_once_started_and_a_server_that_dies_starting_raises_its_reason():
    sock = listen("127.0.0.1", 0, "test", fix="-")
    port = sock.getsockname()[1]
    servers = Servers("test", [(Lifespan(), sock)]).start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert client.recv(100).startswith(b"HTTP/1.1 204 ")
    finally:
        servers.stop()

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:  # uvicorn fails while starting on it
        datagram.bind(("127.0.0.1", 0))
        address = "{}:{}".format(*datagram.getsockname())
        with pytest.raises(RuntimeFailure) as e:
            Servers("test", [(Lifespan(), datagram)]).start(timeout=10)
    assert str(e.value).startswith(
        f"the test server on {address} did not start (ValueError: A Stream Socket was expected, got <socket"
    )


def test_a_host_that_does_not_exist_is_a_usage_error_exit_2(tmp_path):
    result = aa("collector", "--host", "no-such-host.invalid", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert one_line(result).startswith("error: cannot listen on no-such-host.invalid:4318 (")
