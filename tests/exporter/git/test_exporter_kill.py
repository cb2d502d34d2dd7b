"""kill -9 of the real `agent-analytics exporter` during a burst of hook commits: every commit it
acknowledged is counted once, none it refused before reading is counted, and the hook's
resending of everything afterwards (as its spool does) adds nothing twice."""

import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.exporter.git.test_ingest_api import commit
from tests.support.net import free_port, wait_http_ok
from tests.support.processes import ServiceProcess
from tests.support.scrape import scrape, total

CLI = [str(Path(sys.executable).with_name("agent-analytics"))]
# the exporter takes a few seconds to start (FastAPI): fewer kills than the collector's test
KILLS = 5
SEED = 20261202
TOKEN = "kill-test-token"


class Exporter(ServiceProcess):
    def __init__(self, config: Path, data_dir: Path, port: int):
        self.args = [*CLI, "exporter", "--config", str(config), "--port", str(port), "--data-dir", str(data_dir)]
        self.base = f"http://127.0.0.1:{port}"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen([*self.args, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_http_ok(f"{self.base}/healthz", timeout=60)
        except TimeoutError:
            self.proc.kill()
            raise AssertionError(f"exporter did not start: {self.proc.communicate()[1]}") from None
        json.loads(self.proc.stdout.readline())


def batch(sender: int, n: int, rng: random.Random) -> dict:
    """One hook delivery: 1-3 commits of one author of its own, so it is a series of its own."""
    email = f"dev{sender}-{n}@example.com"
    commits = [
        commit(f"{sender:02x}{n:08x}{k:02x}".ljust(40, "a"), author_email=email, lines_added=rng.randint(1, 50))
        for k in range(rng.randint(1, 3))
    ]
    return {"commits": commits}


def send(client: httpx.Client, base: str, body: dict) -> str:
    try:
        r = client.post(f"{base}/api/v1/commits", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    except httpx.ConnectError:
        return "refused"
    except httpx.HTTPError:
        return "cut"
    return "acknowledged" if r.status_code == 200 else "refused"


def burst(exporter: Exporter, sender: int, stop: threading.Event, sent: list) -> None:
    rng = random.Random(SEED + sender)
    n = 0
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            body = batch(sender, n, rng)
            n += 1
            outcome = send(client, exporter.base, body)
            sent.append((body, outcome))
            time.sleep(0.02 if outcome == "acknowledged" else 0.3)


def per_author(base: str) -> dict[str, tuple[float, float]]:
    m = scrape(base)
    authors = {labels["developer_id"] for labels, _ in m.get("agent_analytics_git_commits_total", [])}
    return {
        a: (
            total(m, "agent_analytics_git_commits_total", developer_id=a),
            total(m, "agent_analytics_git_lines_added_total", developer_id=a),
        )
        for a in authors
    }


def expected(body: dict) -> tuple[float, float]:
    return len(body["commits"]), sum(c["lines_added"] for c in body["commits"])


def test_sigkill_during_a_burst_of_hook_commits_counts_every_acknowledged_commit_once(tmp_path, request):
    config = tmp_path / "exporter.yaml"
    config.write_text(f"repos: []\nauth_tokens: [{TOKEN}]\n")
    exporter = Exporter(config, tmp_path / "data", free_port())
    request.addfinalizer(exporter.ensure_stopped)
    exporter.start()
    rng = random.Random(SEED)
    stop = threading.Event()
    sent: list = []
    senders = [threading.Thread(target=burst, args=(exporter, k, stop, sent)) for k in range(4)]
    exporter.kill_under_load(senders, stop, KILLS, rng, pause=(0.1, 0.6), settle=0.3)
    try:
        seen = per_author(exporter.base)
        outcomes = {"acknowledged": 0, "refused": 0, "cut": 0, "cut, not counted": 0}
        for body, outcome in sent:
            author = body["commits"][0]["author_email"]
            got = seen.get(author)
            if outcome == "refused":
                assert got is None, f"{author}: refused, yet counted"
            elif outcome == "cut" and got is None:
                outcome = "cut, not counted"
            else:
                assert got == expected(body), f"{author} ({outcome}): {got} != {expected(body)}"
            outcomes[outcome] += 1
        assert outcomes["acknowledged"] > 50

        # the hook resends what it has not seen acknowledged, and a re-sent commit is a duplicate
        with httpx.Client(timeout=30) as client:
            for body, _ in sent:
                assert send(client, exporter.base, body) == "acknowledged"
        final = per_author(exporter.base)
        assert final == {body["commits"][0]["author_email"]: expected(body) for body, _ in sent}
        print(f"hook deliveries: {outcomes}")
    finally:
        exporter.stop()
