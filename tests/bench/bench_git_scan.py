"""Benchmark: the exporter's git scan beside plain `git log --numstat`, and the ingest API's latency.

    .venv/bin/python tests/bench/bench_git_scan.py                 # 50,000 commits
    .venv/bin/python tests/bench/bench_git_scan.py --commits 5000  # quicker

1. Generates a repository (git fast-import) of N commits by 25 authors touching 1-3 files each,
   a third of them carrying agent trailers.
2. Times `git log --all --numstat` read to the end (the baseline: git alone) and a full scan by
   the exporter (the same walk, parsed, attributed and stored in SQLite), best of --runs each,
   alternating so both see the same machine load.
3. Times POST /api/v1/commits with batches of 100 new commits against a running exporter,
   beside GET /healthz on the same server and connection (the HTTP floor): p50 and p99.
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent_analytics.exporter.config import parse_config  # noqa: E402
from agent_analytics.exporter.git.attribution import load_markers  # noqa: E402
from agent_analytics.exporter.git.scan import RepoScanner  # noqa: E402
from agent_analytics.exporter.git.store import CommitStore  # noqa: E402
from agent_analytics.exporter.identity import IdentityMap  # noqa: E402
from agent_analytics.exporter.service import ExporterService  # noqa: E402

TRAILERS = [
    "Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>",
    "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
    "Co-authored-by: Codex <noreply@openai.com>",
    "Co-authored-by: Cursor <cursoragent@cursor.com>",
]


def generate_repo(path: Path, commits: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    files: dict[str, list[str]] = {}
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE)
    out = proc.stdin
    t0 = 1_700_000_000
    for n in range(1, commits + 1):
        author = rng.randrange(25)
        message = f"change {n}\n"
        if rng.random() < 0.33:
            message += f"\n{rng.choice(TRAILERS)}\n"
        msg = message.encode()
        ts = t0 + n * 60
        out.write(f"commit refs/heads/main\nmark :{n}\n".encode())
        out.write(f"author Dev {author} <dev{author}@example.com> {ts} +0000\n".encode())
        out.write(f"committer Dev {author} <dev{author}@example.com> {ts} +0000\n".encode())
        out.write(f"data {len(msg)}\n".encode() + msg)
        if n > 1:
            out.write(f"from :{n - 1}\n".encode())
        for _ in range(rng.randint(1, 3)):
            name = f"src/m{rng.randrange(400)}/f{rng.randrange(5)}.py"
            lines = files.setdefault(name, [])
            if len(lines) > 40:
                del lines[: rng.randint(1, 20)]
            lines.extend(f"value_{n}_{i} = {rng.random():.6f}\n" for i in range(rng.randint(1, 6)))
            blob = "".join(lines).encode()
            out.write(f"M 100644 inline {name}\ndata {len(blob)}\n".encode() + blob + b"\n")
        out.write(b"\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=path, check=True)


def time_git_log(repo: Path) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(["git", "log", "--all", "--numstat"], cwd=repo, stdout=subprocess.PIPE)
    size = 0
    while chunk := proc.stdout.read(1 << 16):
        size += len(chunk)
    proc.wait()
    return time.perf_counter() - started, size


def time_scan(repo: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as data:
        store = CommitStore(Path(data), IdentityMap(parse_config({}).identities))
        started = time.perf_counter()
        result = RepoScanner(repo, store, load_markers()).scan()
        seconds = time.perf_counter() - started
        store.close()
    return seconds, result.new_commits


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_ingest(batches: int) -> dict:
    with tempfile.TemporaryDirectory() as data:
        svc = ExporterService(parse_config({"auth_tokens": ["bench"]}), port=0, data_dir=data).start()
        base = f"http://127.0.0.1:{svc.port}"
        ingest, health = [], []
        with httpx.Client(headers={"Authorization": "Bearer bench"}, timeout=30) as client:
            for b in range(batches + 10):
                body = {
                    "commits": [
                        {
                            "repo": "github.com/acme/bench",
                            "sha": f"{b * 100 + i:040x}",
                            "author_email": f"dev{i % 25}@example.com",
                            "author_name": f"Dev {i % 25}",
                            "authored_at": 1_700_000_000 + i,
                            "committed_at": 1_700_000_000 + i,
                            "lines_added": i,
                            "lines_deleted": 1,
                            "files_changed": 2,
                            "trailers": [TRAILERS[i % 4]] if i % 3 == 0 else [],
                            "agent_env": {"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": "s"} if i % 5 == 0 else {},
                        }
                        for i in range(100)
                    ]
                }
                t = time.perf_counter()
                r = client.post(f"{base}/api/v1/commits", json=body)
                elapsed = time.perf_counter() - t
                assert r.status_code == 200 and r.json()["accepted"] == 100, r.text
                t = time.perf_counter()
                client.get(f"{base}/healthz").raise_for_status()
                if b >= 10:  # the first requests warm up connections and code paths
                    ingest.append(elapsed)
                    health.append(time.perf_counter() - t)
        svc.stop()
    ms = lambda v: round(v * 1000, 2)  # noqa: E731
    return {
        "batches": batches,
        "ingest_p50_ms": ms(statistics.median(ingest)),
        "ingest_p99_ms": ms(percentile(ingest, 99)),
        "healthz_p50_ms": ms(statistics.median(health)),
        "healthz_p99_ms": ms(percentile(health, 99)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--commits", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batches", type=int, default=300, help="ingest batches of 100 commits")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        t = time.perf_counter()
        generate_repo(repo, args.commits)
        generated = time.perf_counter() - t
        git_times, scan_times = [], []
        for _ in range(args.runs):
            git_times.append(time_git_log(repo)[0])
            seconds, n = time_scan(repo)
            assert n == args.commits, f"scan found {n} commits, expected {args.commits}"
            scan_times.append(seconds)
    git_best, scan_best = min(git_times), min(scan_times)
    figures = {
        "commits": args.commits,
        "generate_seconds": round(generated, 1),
        "git_log_numstat_seconds": round(git_best, 3),
        "git_log_numstat_commits_per_s": round(args.commits / git_best),
        "exporter_scan_seconds": round(scan_best, 3),
        "exporter_scan_commits_per_s": round(args.commits / scan_best),
        "scan_vs_git_log": round(scan_best / git_best, 2),
        **bench_ingest(args.batches),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"repository: {args.commits} commits (generated in {figures['generate_seconds']} s); best of {args.runs}")
    print(f"  git log --all --numstat   {git_best:8.3f} s  {figures['git_log_numstat_commits_per_s']:>9,} commits/s")
    print(f"  exporter scan (+store)    {scan_best:8.3f} s  {figures['exporter_scan_commits_per_s']:>9,} commits/s")
    print(f"  ratio scan / git log      {figures['scan_vs_git_log']:8.2f}x")
    print(f"ingest API, {args.batches} batches of 100 commits:")
    print(f"  POST /api/v1/commits  p50 {figures['ingest_p50_ms']:7.2f} ms  p99 {figures['ingest_p99_ms']:7.2f} ms")
    print(f"  GET /healthz (floor)  p50 {figures['healthz_p50_ms']:7.2f} ms  p99 {figures['healthz_p99_ms']:7.2f} ms")


if __name__ == "__main__":
    main()
