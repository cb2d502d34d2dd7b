"""What the post-commit hook adds to `git commit`, with the exporter up, down, and hanging.

Times real `git commit`s (wall clock, subprocess) in four repositories, interleaved round-robin
so that drift of the machine hits every case alike:

  baseline  no hook at all (measured in the same run)
  up        hook installed, the real exporter (ExporterService) answering on loopback
  down      hook installed, nothing listening on the exporter's port
  hanging   hook installed, a socket that accepts connections and never answers

Each case has its own HOME (config, spool) made by `agent-analytics init`. The hook's send runs
detached after the commit returns; commits are spaced by `--interval` seconds (a developer
commits seconds apart, not twenty times a second) so that one commit's background send does not
land in the next commit's timing. `--interval 0` shows the back-to-back worst case. The
sender's own CPU time (paid after the commit, in the background) is measured separately.

    .venv/bin/python tests/bench/bench_hook.py [--commits 30] [--interval 0.4] [--json]
"""

from __future__ import annotations

import argparse
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
from tests.support.net import free_port, wait_until  # noqa: E402

CASES = ("baseline", "up", "down", "hanging")


def make_case(base: Path, name: str, exporter_url: str | None) -> tuple[dict[str, str], Path]:
    home = base / name / "home"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "GIT_", "CLAUDE", "AI_AGENT"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
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


def timed_commit(env: dict[str, str], repo: Path, i: int) -> float:
    (repo / "file.txt").write_text(f"line {i}\n" * (i % 7 + 1))
    subprocess.run(["git", "add", "file.txt"], cwd=repo, env=env, check=True)
    start = time.perf_counter()
    subprocess.run(["git", "commit", "-q", "-m", f"change {i}"], cwd=repo, env=env, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def sender_cpu_ms(env: dict[str, str], repo: Path, rounds: int) -> float:
    """CPU time of one background send of one spooled commit (median of `rounds`)."""
    folder = str(ROOT / "agent_analytics" / "workstation")
    spool_only = f"import sys; sys.path.insert(0, {folder!r}); import hook_runtime; hook_runtime.capture()"
    sender = [sys.executable, "-m", "agent_analytics.workstation.hook_sender", "--background"]
    times = []
    for i in range(rounds):
        (repo / "file.txt").write_text(f"cpu {i}\n")
        subprocess.run(["git", "add", "file.txt"], cwd=repo, env=env, check=True)
        quiet = {**env, "AGENT_ANALYTICS_HOOK": "off"}  # commit without the hook's sender, spool it here
        subprocess.run(["git", "commit", "-q", "-m", f"cpu {i}"], cwd=repo, env=quiet, check=True)
        subprocess.run([sys.executable, "-I", "-S", "-c", spool_only], cwd=repo, env=env, check=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(sender, cwd=repo, env=env, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000)
    return round(statistics.median(times), 1)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "n": len(ordered),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=30, help="commits per case")
    parser.add_argument("--interval", type=float, default=0.4, help="seconds between commits (not timed)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

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
        samples: dict[str, list[float]] = {name: [] for name in CASES}
        for i in range(args.commits):
            for name in CASES:
                env, repo = cases[name]
                samples[name].append(timed_commit(env, repo, 100 + i))
                time.sleep(args.interval)
        # Every commit of the "up" case must have reached the exporter: the hook did its job.
        expected = args.commits + 3
        wait_until(lambda: exporter.health()["commits"] == expected, timeout=60, what=f"{expected} commits delivered")
        delivered = exporter.health()["commits"]
        sender_cpu = sender_cpu_ms(*cases["up"], rounds=10)
        if exporter.health()["commits"] != expected + 10:
            raise SystemExit("the sender did not deliver the commits of the CPU measurement")
    finally:
        exporter.stop()
        hanging.close()
        shutil.rmtree(base, ignore_errors=True)

    figures = {name: summary(values) for name, values in samples.items()}
    baseline = figures["baseline"]["median_ms"]
    for name in CASES[1:]:
        figures[name]["added_median_ms"] = round(figures[name]["median_ms"] - baseline, 1)
    figures["delivered_commits_up"] = delivered
    figures["sender_cpu_ms_per_run"] = sender_cpu
    figures["cpus"] = os.cpu_count()
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"git commit wall time, {args.commits} commits per case, interleaved, {os.cpu_count()} CPUs")
    print(f"{'case':<10} {'median ms':>10} {'p90 ms':>8} {'added (median)':>15}")
    for name in CASES:
        f = figures[name]
        added = f"{f['added_median_ms']:+.1f} ms" if "added_median_ms" in f else "-"
        print(f"{name:<10} {f['median_ms']:>10.1f} {f['p90_ms']:>8.1f} {added:>15}")
    print(f"commits delivered to the exporter in the 'up' case: {delivered}/{args.commits + 3}")
    print(f"background sender, per run (after the commit returned): {sender_cpu:.0f} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
