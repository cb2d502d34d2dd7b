"""The suite never reaches the setup of the person who runs it.

A user's HOME is built as `init` leaves it, except that git's global hook is a recorder and the
configured collector and exporter are one listening socket that counts connections; the OTEL_*
variables of their shell point there too. The suite's git, init and hook tests then run in a
subprocess with that HOME and environment: the recorder stays empty and the socket sees nothing.
"""

from __future__ import annotations

import os
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

import yaml

from tests.conftest import ROOT

SUITE_PART = [
    "tests/workstation/test_init.py",
    "tests/workstation/test_hook_install.py",
    "tests/workstation/test_hook_delivery.py",
    "tests/exporter/git/test_git_attribution.py::test_incremental_scan_reads_only_new_commits_and_survives_rewritten_history",
    "tests/exporter/git/test_git_attribution.py::test_a_repository_that_fails_to_scan_counts_an_error_and_others_still_count",
]
HOOKS = ("pre-commit", "commit-msg", "post-commit")
RECORDER = '#!/bin/sh\necho "$(basename "$0") in $PWD" >> "{log}"\n'  # an absolute path: HOME may change


class Listener(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.connections = 0
        self.lock = threading.Lock()

        listener = self

        class Count(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with listener.lock:
                    listener.connections += 1

        super().__init__(("127.0.0.1", 0), Count)


def user_home(root: Path, url: str) -> tuple[Path, dict[str, str]]:
    home = root / "user"
    hooks = home / "hooks"
    hooks.mkdir(parents=True)
    for name in ("post-commit", "pre-commit", "commit-msg"):
        (hooks / name).write_text(RECORDER.format(log=home / "hook-invocations.log"))
        (hooks / name).chmod(0o755)
    (home / ".gitconfig").write_text(
        f"[user]\n\temail = person@example.com\n\tname = Person\n[core]\n\thooksPath = {hooks}\n"
    )
    config = home / ".config" / "agent-analytics" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(yaml.safe_dump({"endpoint": url, "exporter_url": url, "developer_id": "person@example.com"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XDG_"))}
    env.update(
        HOME=str(home),
        OTEL_EXPORTER_OTLP_ENDPOINT=url,
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_LOGS_EXPORTER="otlp",
        CLAUDECODE="1",
        AGENT_ANALYTICS_HOOK="on",
    )
    return home, env


def test_the_suite_leaves_the_users_hook_exporter_and_collector_untouched(tmp_path):
    with Listener() as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        home, env = user_home(tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
        log = home / "hook-invocations.log"

        # The trap is live: a commit made as this user runs their global hook.
        repo = tmp_path / "own-repo"
        for args in (["init", "-q", str(repo)], ["-C", str(repo), "commit", "-q", "--allow-empty", "-m", "own"]):
            subprocess.run(["git", *args], env=env, check=True, capture_output=True)
        assert log.read_text().splitlines() == [f"{hook} in {repo}" for hook in HOOKS]
        log.unlink()

        suite = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *SUITE_PART],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-2000:]
        assert " passed" in suite.stdout.splitlines()[-1]
        assert not log.exists(), log.read_text()
        assert server.connections == 0
