"""Benchmark: the embedded collector beside its peer, the OpenTelemetry Collector built from
collector/builder-config.yaml running collector/otelcol.yaml, on the same workload in one run.

    .venv/bin/python tests/bench/bench_otelcol_peer.py               # best of 3 runs, 3 s per phase
    .venv/bin/python tests/bench/bench_otelcol_peer.py --runs 1 --seconds 2 --json

Each collector runs pinned to core 0, the load generator (this process) to core 1; they take
turns, so both see the same machine. Phases, as in bench_collector.py: metrics batches and log
batches over OTLP/HTTP from 20 concurrent clients (items acknowledged per second), then single
recorded payloads, metrics and logs mixed (p50 / p99 per request). Events go to a Loki stand-in
that answers 204. Resident memory is the peak (VmHWM) after all phases.
Acknowledged means different things: the embedded collector answers once the points are in its
state on disk; the OpenTelemetry Collector once its batch processor has queued them in memory.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_collector import (  # noqa: E402
    SinkHandler,
    batches,
    http_request,
    load,
    recorded,
    start_collector,
    walk_logs,
    walk_metrics,
)
from tests.support.otelcol import Otelcol  # noqa: E402

COLLECTOR_CORE, CLIENT_CORE = 0, 1


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def workload(batch: int) -> dict[str, list[tuple[bytes, int]]]:
    metrics, logs = recorded("metrics"), recorded("logs")
    out = {
        "metrics": [(http_request("/v1/metrics", b), walk_metrics(b)) for b in batches(metrics, batch)],
        "logs": [(http_request("/v1/logs", b), walk_logs(b)) for b in batches(logs, batch)],
    }
    out["latency"] = [(http_request("/v1/metrics", b), walk_metrics(b)) for b in metrics] + [
        (http_request("/v1/logs", b), walk_logs(b)) for b in logs
    ]
    return out


def measure(port: int, pid: int, requests: dict, clients: int, seconds: float) -> dict:
    metrics = load(port, requests["metrics"], clients, seconds)
    logs = load(port, requests["logs"], clients, seconds)
    latency = load(port, requests["latency"], clients, seconds)
    return {
        "points_per_s": metrics["items_per_s"],
        "records_per_s": logs["items_per_s"],
        "p50_ms": latency["p50_ms"],
        "p99_ms": latency["p99_ms"],
        "rss_mb": peak_rss_mb(pid),
    }


def run_embedded(requests, clients, seconds, loki_url) -> dict:
    with tempfile.TemporaryDirectory() as data:
        proc, endpoints = start_collector(COLLECTOR_CORE, Path(data), loki_url)
        try:
            port = int(endpoints["otlp_http"].rsplit(":", 1)[1])
            return measure(port, proc.pid, requests, clients, seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def run_otelcol(requests, clients, seconds, loki_url) -> dict:
    with Otelcol(loki_url=loki_url, core=COLLECTOR_CORE) as collector:
        return measure(collector.http_port, collector.proc.pid, requests, clients, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.sched_setaffinity(0, {CLIENT_CORE})
    loki = ThreadingHTTPServer(("127.0.0.1", 0), SinkHandler)
    threading.Thread(target=loki.serve_forever, daemon=True).start()
    loki_url = f"http://127.0.0.1:{loki.server_address[1]}"
    requests = workload(args.batch)
    runs: dict[str, list[dict]] = {"embedded": [], "otelcol": []}
    for _ in range(args.runs):
        runs["embedded"].append(run_embedded(requests, args.clients, args.seconds, loki_url))
        runs["otelcol"].append(run_otelcol(requests, args.clients, args.seconds, loki_url))
    loki.shutdown()
    best = {
        form: {
            "points_per_s": max(r["points_per_s"] for r in results),
            "records_per_s": max(r["records_per_s"] for r in results),
            "p50_ms": min(r["p50_ms"] for r in results),
            "p99_ms": min(r["p99_ms"] for r in results),
            "rss_mb": max(r["rss_mb"] for r in results),
        }
        for form, results in runs.items()
    }
    if args.json:
        print(json.dumps(best, indent=2))
        return
    print(f"{'collector':<10} {'points/s':>10} {'records/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>12}")
    for form, b in best.items():
        print(
            f"{form:<10} {b['points_per_s']:>10.0f} {b['records_per_s']:>10.0f} "
            f"{b['p50_ms']:>8.1f} {b['p99_ms']:>8.1f} {b['rss_mb']:>12.0f}"
        )
    ratio = best["embedded"]["points_per_s"] / best["otelcol"]["points_per_s"]
    print(f"embedded / otelcol data points/s: {ratio:.2f}")


if __name__ == "__main__":
    main()
