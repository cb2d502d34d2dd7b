"""What the post-commit hook adds to `git commit`, with the exporter up, down, and hanging.

Times real `git commit`s (wall clock, subprocess) in four repositories, interleaved round-robin
so that drift of the machine hits every case alike:

  baseline  no hook at all (measured in the same run)
  up        hook installed, the real exporter (ExporterService) answering on loopback
  down      hook installed, nothing listening on the exporter's port
  hanging   hook installed, a socket that accepts connections and never answers

Each case has its own HOME (config, spool) made by `agent-analytics init`. Commits are made as
in a Claude Code session (its variables set), so each must reach the exporter with session
evidence; the run checks that every commit of the "up" case did. The hook's send runs detached
after the commit returns; commits are spaced by `--interval` seconds (a developer commits seconds
apart, not twenty times a second) so that one commit's background send does not land in the next
commit's timing. `--interval 0` shows the back-to-back worst case. Beside wall-clock time, the
CPU time of each `git commit` (with its hook, without the sender it leaves in the background)
shows the hook's own cost even on a busy machine. The sender's CPU time (paid after the commit,
in the background) is measured separately. The summary is a Markdown table.

    .venv/bin/python tests/bench/bench_hook.py [--commits 30] [--interval 0.4] [--json]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent_analytics.exporter.config import parse_config  # noqa: E402
from agent_analytics.exporter.service import ExporterService  # noqa: E402
from agent_analytics.workstation import hook_install, hook_sender, paths  # noqa: E402
from tests.support.net import free_port, wait_until  # noqa: E402
from tests.support.workstation import senders_settled, series_value  # noqa: E402

CASES = ("baseline", "up", "down", "hanging")
LABELS = {
    "baseline": "no hook (baseline)",
    "up": "hook, exporter up",
    "down": "hook, exporter down",
    "hanging": "hook, exporter hanging",
}
SESSION = {
    "CLAUDECODE": "1",
    "CLAUDE_CODE_SESSION_ID": "0c4f1a9e-5b7d-4e21-9a43-1f2e3d4c5b6a",
    "AI_AGENT": "claude-code_2.1.197_agent",
}


def make_case(base: Path, name: str, exporter_url: str | None) -> tuple[dict[str, str], Path]:
    home = base / name / "home"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "GIT_", "CLAUDE", "AI_AGENT", "AGENT_"))}
    # A sender that finds the exporter away stays on to retry; here for 10 s after the newest
    # commit (not an hour), so that it ends soon after the run.
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", AGENT_ANALYTICS_HOOK_RETRY="10", **SESSION)
    run = {"env": env, "check": True, "capture_output": True}
    subprocess.run(["git", "config", "--global", "user.email", "bench@example.com"], **run)
    subprocess.run(["git", "config", "--global", "user.name", "Bench"], **run)
    repo = base / name / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, **run)
    if exporter_url:
        cli = [sys.executable, "-m", "agent_analytics.cli"]
        subprocess.run([*cli, "init", "--yes", "--no-hook", "--exporter-url", exporter_url], **run)
        subprocess.run([*cli, "hook", "install", "--repo", str(repo)], **run)
    return env, repo


def cpu_seconds() -> float:
    """CPU time of the waited-for children: `git commit`, its hook and what the hook waits for,
    not the sender the hook leaves running in the background."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_commit(env: dict[str, str], repo: Path, i: int) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one `git commit`."""
    (repo / "file.txt").write_text(f"line {i}\n" * (i % 7 + 1))
    subprocess.run(["git", "add", "file.txt"], cwd=repo, env=env, check=True)
    cpu, start = cpu_seconds(), time.perf_counter()
    subprocess.run(["git", "commit", "-q", "-m", f"change {i}"], cwd=repo, env=env, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000, (cpu_seconds() - cpu) * 1000


def senders_done(env: dict[str, str]) -> bool:
    """Every sender the case's hooks started has finished, the one retrying included."""
    state = Path(env["HOME"]) / ".local" / "state" / "agent-analytics"
    if not senders_settled(state):
        return False
    with open(state / paths.SPOOL / hook_sender.RETRY_LOCK, "a") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
    return True


def sender_cpu_ms(env: dict[str, str], repo: Path, rounds: int) -> float:
    """CPU time of one background send of one spooled commit (median of `rounds`)."""
    # The hook's own recording, with an interpreter that does not exist: it spools, starts nothing.
    record_only = hook_install.record_script("/nonexistent/python") + "\nrecord\n"
    sender = [sys.executable, "-m", "agent_analytics.workstation.hook_sender", "--background"]
    times = []
    for i in range(rounds):
        (repo / "file.txt").write_text(f"cpu {i}\n")
        subprocess.run(["git", "add", "file.txt"], cwd=repo, env=env, check=True)
        quiet = {**env, "AGENT_ANALYTICS_HOOK": "off"}  # commit without the hook, spool it here
        subprocess.run(["git", "commit", "-q", "-m", f"cpu {i}"], cwd=repo, env=quiet, check=True)
        subprocess.run(["sh", "-c", record_only], cwd=repo, env=env, check=True)
        before = cpu_seconds()
        subprocess.run(sender, cwd=repo, env=env, check=True)
        times.append((cpu_seconds() - before) * 1000)
    return round(statistics.median(times), 1)


def summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    wall = sorted(w for w, _ in samples)
    return {
        "median_ms": round(statistics.median(wall), 1),
        "p90_ms": round(wall[int(0.9 * (len(wall) - 1))], 1),
        "cpu_median_ms": round(statistics.median(c for _, c in samples), 1),
        "n": len(wall),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=30, help="commits per case")
    parser.add_argument("--interval", type=float, default=0.4, help="seconds between commits (not timed)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    base = Path(tempfile.mkdtemp(prefix="aa-bench-hook-"))
    exporter = ExporterService(parse_config({}), port=0, data_dir=base / "exporter", scan=False, poll=False).start()
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(1024)  # connections complete in the kernel; nobody ever answers
    try:
        urls = {
            "baseline": None,
            "up": f"http://127.0.0.1:{exporter.port}",
            "down": f"http://127.0.0.1:{free_port()}",
            "hanging": f"http://127.0.0.1:{hanging.getsockname()[1]}",
        }
        cases = {name: make_case(base, name, url) for name, url in urls.items()}
        for env, repo in cases.values():  # warm-up: caches, first-commit paths
            for i in range(3):
                timed_commit(env, repo, i)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in CASES}
        for i in range(args.commits):
            for name in CASES:
                env, repo = cases[name]
                samples[name].append(timed_commit(env, repo, 100 + i))
                time.sleep(args.interval)
        # Every commit of the "up" case must have reached the exporter, with its session evidence.
        expected = args.commits + 3
        metrics = f"http://127.0.0.1:{exporter.port}/metrics"

        def by_session() -> int:
            return round(series_value(metrics, "agent_analytics_git_commits_total", evidence="session"))

        wait_until(lambda: by_session() == expected, timeout=60, what=f"{expected} commits with session evidence")
        delivered = by_session()
        sender_cpu = sender_cpu_ms(*cases["up"], rounds=10)
        if by_session() != expected + 10:
            raise SystemExit("the sender did not deliver the commits of the CPU measurement")
        for env, _ in (cases["down"], cases["hanging"]):
            wait_until(lambda env=env: senders_done(env), timeout=90, what="the senders of the run to finish")
    finally:
        exporter.stop()
        hanging.close()
        shutil.rmtree(base, ignore_errors=True)

    figures = {name: summary(values) for name, values in samples.items()}
    for name in CASES[1:]:
        for key in ("median_ms", "cpu_median_ms"):
            figures[name][f"added_{key}"] = round(figures[name][key] - figures["baseline"][key], 1)
    figures["delivered_commits_up"] = delivered
    figures["sender_cpu_ms_per_run"] = sender_cpu
    figures["cpus"] = os.cpu_count()
    figures["load_average"] = load
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"`git commit`, {args.commits} commits per case, interleaved, {args.interval} s apart;"
        f" {os.cpu_count()} CPUs, load average {load:.1f} at the start\n"
    )
    print("| `git commit` | median | p90 | added to the median | CPU (median) | added CPU |")
    print("|---|---|---|---|---|---|")
    for name in CASES:
        f = figures[name]
        added = [f"{f[k]:+.1f} ms" if k in f else "" for k in ("added_median_ms", "added_cpu_median_ms")]
        print(
            f"| {LABELS[name]} | {f['median_ms']:.1f} ms | {f['p90_ms']:.1f} ms | {added[0]}"
            f" | {f['cpu_median_ms']:.1f} ms | {added[1]} |"
        )
    print(f"\nCommits of the 'up' case at the exporter with session evidence: {delivered}/{args.commits + 3}.")
    print(f"Background sender, per run (after the commit returned): {sender_cpu:.0f} ms CPU.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
