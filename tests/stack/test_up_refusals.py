"""What `up` refuses, in one line each: a busy port, a missing Prometheus, a bad config, a second `up`
on the same data dir; and a port a stopped run left in TIME_WAIT is free again."""

import shutil
import socket

import pytest

from tests.support.up_process import env_for, port_args, read_until, run_up, running_up, stop

pytestmark = pytest.mark.prometheus


def test_busy_port_is_a_one_line_error(tmp_path):
    args = port_args()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args[args.index("--prometheus-port") + 1] = str(port)
        result = run_up(["--data-dir", str(tmp_path / "d"), *args], env_for(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {port} (Prometheus) is already in use" in lines[0] and "--prometheus-port" in lines[0]


def test_missing_prometheus_names_the_install_command(tmp_path):
    empty = tmp_path / "bin"  # git only: a machine without Prometheus
    empty.mkdir()
    (empty / "git").symlink_to(shutil.which("git"))
    result = run_up(["--data-dir", str(tmp_path / "d"), *port_args()], env_for(tmp_path, path=str(empty)))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "prometheus not found" in lines[0] and "sudo apt-get install prometheus" in lines[0]


def test_a_bad_config_file_is_a_one_line_error(tmp_path):
    config = tmp_path / "stack.yaml"
    config.write_text("ports:\n  prometheus: 99999\n")
    result = run_up(["--config", str(config), "--data-dir", str(tmp_path / "d")], env_for(tmp_path))
    assert result.returncode == 2  # config mistakes exit 2 in every command
    assert result.stderr.strip() == (
        f"error: {config}: ports.prometheus: expected a port number 1-65535, got 99999 (line 2)"
    )


@pytest.mark.parametrize(
    ("setting", "shown"),
    [("retention: forever", "'forever'"), ("scrape_interval: 15", "15"), ("evaluation_interval: 1m30", "'1m30'")],
)
def test_a_bad_prometheus_duration_is_a_one_line_error(tmp_path, setting, shown):
    config = tmp_path / "stack.yaml"
    config.write_text(f"prometheus:\n  {setting}\n")
    result = run_up(["--config", str(config), "--data-dir", str(tmp_path / "d"), *port_args()], env_for(tmp_path))
    assert result.returncode == 2
    key = setting.split(":")[0]
    default = {"retention": "400d", "scrape_interval": "15s", "evaluation_interval": "1m"}[key]
    assert result.stderr.strip() == (
        f"error: {config}: prometheus.{key}: expected a Prometheus duration such as {default}, 90d or 1h30m,"
        f" got {shown} (line 2)"
    )


def test_a_port_left_in_time_wait_by_a_stopped_run_is_free():
    """A stopped `up` leaves its servers' closed connections in TIME_WAIT; starting again at once
    must not call those ports busy (the servers bind with SO_REUSEADDR, and so does the check)."""
    from agent_analytics.stack.supervisor import port_free

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = server.accept()
        assert not port_free(port)  # listening: busy
        conn.close()  # the server side closes first: its end of the connection enters TIME_WAIT
        client.recv(1)
        client.close()
    assert port_free(port)


def test_a_second_up_on_the_same_data_dir_is_refused(tmp_path):
    """Two stacks on one data dir would run two Prometheus on one TSDB and let two collectors
    overwrite each other's saved totals: the second `up` must stop with one line."""
    data_dir = tmp_path / "data"
    with running_up(["--data-dir", str(data_dir), *port_args()], env_for(tmp_path)) as first:
        read_until(first, "Ctrl-C stops it")
        second = run_up(["--data-dir", str(data_dir), *port_args()], env_for(tmp_path))
        assert second.returncode == 1
        assert second.stdout == ""
        assert second.stderr.strip() == (
            f"error: {data_dir} is in use by another `agent-analytics up` (pid {first.pid}):"
            " stop it first, or pass another --data-dir"
        )
        assert first.poll() is None  # the first one keeps running
        stop(first)
    with running_up(["--data-dir", str(data_dir), *port_args()], env_for(tmp_path)) as again:
        read_until(again, "Ctrl-C stops it")  # stopped, the first one let the folder go
        stop(again)
