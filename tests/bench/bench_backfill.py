"""Benchmark: demo and backfill beside the floor of their slowest part, measured in the same run.

    .venv/bin/python tests/bench/bench_backfill.py     # 12 developers x 30 days, 20,000 commits, 50,000 messages
    .venv/bin/python tests/bench/bench_backfill.py --commits 2000 --messages 5000 --runs 1   # quicker

1. demo: generating the history and writing it as blocks with its hourly pre-aggregates, beside
   the same without the pre-aggregates (what they add) and promtool alone building blocks from
   the same OpenMetrics file (the floor: what the TSDB tool costs by itself).
2. backfill git: `agent-analytics backfill git` on a generated repository, beside
   `git log --all --numstat` read to the end (git alone).
3. backfill claude-logs: reading, deduplicating and pricing a transcript folder, beside
   json.loads of every line (parsing alone).
Best of --runs each, alternating so both sides see the same machine load; prints JSON.
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from bench_git_scan import generate_repo, time_git_log  # noqa: E402

from agent_analytics.history.backfill_series import daily_series  # noqa: E402
from agent_analytics.history.claude_transcripts import ReadStats, read_messages, transcript_files, usage_increments  # noqa: E402
from agent_analytics.history.demo.generate import generate  # noqa: E402
from agent_analytics.history.hourly_backfill import write_history  # noqa: E402
from agent_analytics.history.openmetrics import write_openmetrics  # noqa: E402
from agent_analytics.history.tsdb_blocks import newest_allowed, promtool_binary, write_blocks  # noqa: E402

MODELS = ("claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5")


def best(runs: int, *steps):
    """Run each step `runs` times, interleaved; the best time of each."""
    times = [[] for _ in steps]
    for _ in range(runs):
        for i, step in enumerate(steps):
            started = time.perf_counter()
            step()
            times[i].append(time.perf_counter() - started)
    return [min(t) for t in times]


def bench_demo(developers: int, days: int, runs: int, scratch: Path) -> dict:
    end = newest_allowed() // 3600 * 3600  # as `demo` ends
    history = generate(developers, days, seed=1, end=end)
    series = history.series()
    source = scratch / "demo.om"
    with source.open("w") as f:
        samples = write_openmetrics(series, f)
    span_hours = days * 24 + 2
    counter = iter(range(10**6))

    hourly_samples = []

    def ours():
        out = scratch / f"ours-{next(counter)}"
        hourly_samples.append(write_history(generate(developers, days, seed=1, end=end).series(), out).hourly_samples)

    def without_hourly():
        out = scratch / f"blocks-{next(counter)}"
        write_blocks(generate(developers, days, seed=1, end=end).series(), out)

    def promtool_alone():
        out = scratch / f"floor-{next(counter)}"
        cmd = [promtool_binary(), "tsdb", "create-blocks-from", "openmetrics", "--quiet"]
        subprocess.run([*cmd, f"--max-block-duration={span_hours}h", str(source), str(out)], check=True)

    t_ours, t_blocks, t_floor = best(runs, ours, without_hourly, promtool_alone)
    return {
        "samples": samples,
        "series": len(series),
        "hourly_samples": hourly_samples[0],
        "demo_s": round(t_ours, 3),
        "demo_without_hourly_s": round(t_blocks, 3),
        "promtool_alone_s": round(t_floor, 3),
    }


def bench_git(commits: int, runs: int, scratch: Path) -> dict:
    repo = scratch / "repo"
    generate_repo(repo, commits)
    counter = iter(range(10**6))

    def ours():
        out = scratch / f"git-{next(counter)}"
        cli = [sys.executable, "-m", "agent_analytics.cli", "backfill", "git", str(repo), "--days", "36500"]
        subprocess.run(
            [*cli, "--until", str(int(time.time())), "--prometheus-data", str(out)], check=True, capture_output=True
        )

    t_ours, t_floor = best(runs, ours, lambda: time_git_log(repo))
    return {"commits": commits, "backfill_git_s": round(t_ours, 3), "git_log_alone_s": round(t_floor, 3)}


def bench_transcripts(messages: int, runs: int, scratch: Path) -> dict:
    rng = random.Random(3)
    root = scratch / "projects"
    lines = 0
    start = int(time.time()) - 90 * 86400
    for session in range(max(1, messages // 200)):
        folder = root / f"-work-p{session % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"s{session}.jsonl").open("w") as f:
            for n in range(200):
                at = datetime.fromtimestamp(start + session * 3000 + n * 13, UTC).isoformat()
                usage = {
                    "input_tokens": rng.randint(1, 900),
                    "output_tokens": rng.randint(1, 2000),
                    "cache_read_input_tokens": rng.randint(0, 40000),
                    "cache_creation_input_tokens": rng.randint(0, 4000),
                }
                message = {"id": f"m{session}-{n}", "model": rng.choice(MODELS), "usage": usage}
                entry = {"type": "assistant", "timestamp": at, "sessionId": f"s{session}", "message": message}
                entry["requestId"] = f"r{session}-{n}"
                text = json.dumps(entry) + "\n"
                f.write(text * 2)  # every message streamed as two lines
                lines += 2

    def ours():
        stats = ReadStats()
        found = read_messages(transcript_files(root), stats)
        daily_series(usage_increments(found, {"developer_id": "dev", "team_id": ""}, stats), newest_allowed())

    def parse_alone():
        for path in transcript_files(root):
            with path.open() as f:
                for line in f:
                    json.loads(line)

    t_ours, t_floor = best(runs, ours, parse_alone)
    return {"lines": lines, "backfill_claude_logs_s": round(t_ours, 3), "json_parse_alone_s": round(t_floor, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--developers", type=int, default=12)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--commits", type=int, default=20000)
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aa-bench-backfill-") as tmp:
        scratch = Path(tmp)
        result = {
            "demo": bench_demo(args.developers, args.days, args.runs, scratch),
            "git": bench_git(args.commits, args.runs, scratch),
            "claude_logs": bench_transcripts(args.messages, args.runs, scratch),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
