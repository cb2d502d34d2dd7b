"""`agent-analytics exporter` as a user runs it: one-shot summary, bad config, serve and stop."""

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.exporter.helpers import GitRepo
from tests.support import loopback
from tests.support.net import free_port, wait_http_ok, wait_until
from tests.support.scrape import parse, total

CLI = [str(Path(sys.executable).with_name("agent-analytics"))]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "exporter", *args], capture_output=True, text=True, timeout=120)


def test_once_prints_a_json_summary_and_keeps_the_store(tmp_path):
    repo = GitRepo(tmp_path / "svc")
    repo.commit("one\n\nCo-authored-by: Codex <noreply@openai.com>", lines=3)
    repo.commit("two", lines=1)
    cfg = tmp_path / "exporter.yaml"
    cfg.write_text("repos: [svc]\n")
    first = run("--config", str(cfg), "--data-dir", str(tmp_path / "d"), "--once", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) | {"data_dir": ""} == {
        "repos": 1, "new_commits": 2, "commits": 2, "scan_errors": 0, "copilot_ok": None, "vendors_ok": None,
        "data_dir": ""
    }  # fmt: skip
    again = run("--config", str(cfg), "--data-dir", str(tmp_path / "d"), "--once", "--json")
    assert json.loads(again.stdout)["new_commits"] == 0 and json.loads(again.stdout)["commits"] == 2


def test_bad_config_is_one_line_and_exit_2(tmp_path):
    cfg = tmp_path / "exporter.yaml"
    cfg.write_text("repos: [/no/such/folder]\nscan_interval_seconds: 30\n")
    r = run("--config", str(cfg))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: {cfg}: repos[0]: /no/such/folder is not a folder; fix the path or remove it from repos (line 1)"
    ]


def test_a_data_dir_that_is_a_file_and_a_bad_host_are_one_line(tmp_path):
    cfg = tmp_path / "exporter.yaml"
    cfg.write_text("repos: []\n")
    not_a_folder = tmp_path / "store"
    not_a_folder.write_text("")
    r = run("--config", str(cfg), "--data-dir", str(not_a_folder), "--once")
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"error: cannot use the data dir {not_a_folder} (File exists): pass --data-dir with a folder you can write to"
    )
    r = run("--config", str(cfg), "--data-dir", str(tmp_path / "d"), "--host", "no-such-host.invalid", "--port", "0")
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error: cannot listen on no-such-host.invalid:0 (")
    assert r.stderr.strip().endswith("); check --host")


def test_serves_until_sigterm(tmp_path):
    repo = GitRepo(tmp_path / "svc")
    repo.commit("one\n\nCo-Authored-By: Claude <noreply@anthropic.com>", lines=4, files=2)
    cfg = tmp_path / "exporter.yaml"
    cfg.write_text(f"repos: [{repo.path}]\n")
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "exporter", "--config", str(cfg), "--port", str(port), "--data-dir", str(tmp_path / "d"), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", timeout=30)
        assert json.loads(proc.stdout.readline())["metrics"] == f"http://127.0.0.1:{port}/metrics"
        url = f"http://127.0.0.1:{port}/metrics"
        # the first scan runs in the background right after start
        wait_until(lambda: "agent_analytics_git_commits_total{" in loopback.get(url).text, what="first scan")
        m = parse(loopback.get(url).text)
        assert total(m, "agent_analytics_git_lines_added_total", agent="claude-code", evidence="trailer") == 8
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
