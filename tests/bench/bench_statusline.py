"""What the status line bridge adds to the developer's own status line command, with the collector
up, down, and hanging.

Runs the status line as Claude Code does (`/bin/sh -c <statusLine.command>`, the status line JSON
recorded from Claude Code on stdin) and times it (wall clock, subprocess), interleaved round-robin
so that drift of the machine hits every case alike:

  baseline  the developer's own command alone (measured in the same run)
  up        the bridge `init` installed, the embedded collector answering on loopback
  down      the bridge, nothing listening on the collector's port
  hanging   the bridge, a socket that accepts connections and never answers

Each bridge case has its own HOME made by `agent-analytics init`. Two paths are timed: a refresh
(what nearly every refresh does: run the command), and a refresh on which a send is due (at most
once a minute: copy the input, start the sender in the background, run the command on the copy),
spaced a second apart so that the background sender does not land in the next timing. Every output
is checked to be the command's own, byte for byte. For scale, `python -I -S -c pass` through the
same shell: what any bridge written in Python would cost before doing anything.

    .venv/bin/python tests/bench/bench_statusline.py [--refreshes 200] [--sends 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
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

from agent_analytics.collector.config import load_config  # noqa: E402
from agent_analytics.collector.service import CollectorService  # noqa: E402
from tests.support.net import free_port, wait_until  # noqa: E402
from tests.support.scrape import scrape  # noqa: E402

CASES = ("baseline", "up", "down", "hanging")
INPUT = (ROOT / "tests" / "fixtures" / "claude-code" / "statusline" / "rate-limits.json").read_bytes()
# a status line of the usual kind: reads its JSON, prints colours and two lines
OWN = (
    'input=$(cat); printf "\\033[1;32m%s\\033[0m \\033[33m%s\\033[0m\\n" "Opus" "${#input} bytes";'
    ' printf "%s" "$input" | head -c 24'
)
PYTHON_FLOOR = f"{sys.executable} -I -S -c pass"


def make_case(base: Path, name: str, endpoint: str) -> tuple[dict[str, str], str, Path]:
    """A HOME with the developer's own status line and `init` run on it; (env, command, state folder)."""
    home = base / name / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text(json.dumps({"statusLine": {"type": "command", "command": OWN}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "CLAUDE", "OTEL_", "AGENT_ANALYTICS_"))}
    env["HOME"] = str(home)
    cli = [sys.executable, "-m", "agent_analytics.cli", "init", "--yes", "--no-hook", "--endpoint", endpoint]
    subprocess.run([*cli, "--developer-id", f"{name}@example.com", "--plan", "max-5x"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    command = json.loads((home / ".claude" / "settings.json").read_text())["statusLine"]["command"]
    return env, command, home / ".local" / "state" / "agent-analytics" / "statusline"


def timed(command: str, env: dict[str, str], expected: bytes | None) -> float:
    start = time.perf_counter()
    out = subprocess.run(["/bin/sh", "-c", command], input=INPUT, env=env, capture_output=True)
    elapsed = (time.perf_counter() - start) * 1000
    if expected is not None and (out.stdout, out.returncode) != (expected, 0):
        raise SystemExit(f"the status line printed {out.stdout!r} (exit {out.returncode}), expected {expected!r}")
    return elapsed


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        "n": len(ordered),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=200, help="refreshes per case")
    parser.add_argument("--sends", type=int, default=20, help="refreshes with a send due, per bridge case")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="aa-bench-statusline-"))
    collector = CollectorService(
        load_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=base / "collector")
    ).start()
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(1024)  # connections complete in the kernel; nobody ever answers
    try:
        endpoints = {
            "up": collector.endpoints["otlp_http"],
            "down": f"http://127.0.0.1:{free_port()}",
            "hanging": f"http://127.0.0.1:{hanging.getsockname()[1]}",
        }
        cases = {name: make_case(base, name, url) for name, url in endpoints.items()}
        plain_env = {**os.environ, "HOME": str(base)}
        expected = subprocess.run(["/bin/sh", "-c", OWN], input=INPUT, env=plain_env, capture_output=True).stdout
        runs = {"baseline": (OWN, plain_env)} | {name: (command, env) for name, (env, command, _) in cases.items()}
        for name, (_, _, state) in cases.items():  # the first send, then refreshes within its minute
            timed(runs[name][0], runs[name][1], expected)
            wait_until(lambda s=state: (s / "next-send").exists(), timeout=30, what=f"{name}: the first send")
        refresh: dict[str, list[float]] = {name: [] for name in (*CASES, "python")}
        for _ in range(args.refreshes):
            for name in CASES:
                refresh[name].append(timed(*runs[name], expected))
            refresh["python"].append(timed(PYTHON_FLOOR, plain_env, None))
        due: dict[str, list[float]] = {name: [] for name in (*CASES[1:], "baseline")}
        for _ in range(args.sends):
            for name in CASES:
                if name != "baseline":
                    (cases[name][2] / "next-send").unlink(missing_ok=True)  # a minute has passed
                due[name].append(timed(*runs[name], expected))
                time.sleep(1.0)  # the background sender runs now, not during the next timing
        # the sends of the "up" case reached the collector
        gauges = "agent_analytics_plan_quota_used_ratio"
        wait_until(lambda: gauges in scrape(collector), timeout=30, what="plan quota gauges in the collector")
    finally:
        collector.stop()
        hanging.close()
        shutil.rmtree(base, ignore_errors=True)

    figures: dict = {"refresh": {}, "send_due": {}, "cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    for path, samples in (("refresh", refresh), ("send_due", due)):
        baseline = statistics.median(samples["baseline"])
        for name, values in samples.items():
            f = summary(values)
            if name != "baseline":
                f["added_median_ms"] = round(f["median_ms"] - baseline, 2)
                f["added_p90_ms"] = round(f["p90_ms"] - summary(samples["baseline"])["p90_ms"], 2)
            figures[path][name] = f
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"status line wall time, interleaved, {os.cpu_count()} CPUs, load average {figures['load']:.1f}")
    print("| status line | path | median | p90 | added to the median | added to the p90 |")
    print("|---|---|---|---|---|---|")
    names = {
        "baseline": "your command alone (baseline)",
        "up": "bridge, collector up",
        "down": "bridge, collector down",
        "hanging": "bridge, collector hanging",
        "python": "`python -I -S -c pass` (for scale)",
    }
    for path, label in (("refresh", "refresh"), ("send_due", "send due (once a minute)")):
        for name, f in figures[path].items():
            added = f"{f['added_median_ms']:+.2f} ms" if "added_median_ms" in f else ""
            added90 = f"{f['added_p90_ms']:+.2f} ms" if "added_p90_ms" in f else ""
            print(f"| {names[name]} | {label} | {f['median_ms']:.2f} ms | {f['p90_ms']:.2f} ms | {added} | {added90} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
