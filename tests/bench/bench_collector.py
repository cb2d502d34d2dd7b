"""Benchmark: the embedded collector's ingest rate beside the raw cost of decoding the same
bodies and beside what its server stacks cost on their own.

    .venv/bin/python tests/bench/bench_collector.py                # best of 3 runs, 3 s per phase
    .venv/bin/python tests/bench/bench_collector.py --runs 5 --seconds 5 --json

1. Baseline (this process, pinned to one core): decode each body with the protobuf runtime
   and walk every resource, data point / log record and attribute (key and value). That is
   the least any OTLP receiver in Python does per body.
2. Floor (tests/bench/collector_floor.py, pinned to the same core): the collector's HTTP and
   gRPC server stacks answering every request at once, without decoding, log or state. It is
   driven exactly like the collector, so a figure divided by the floor's is the share the
   collector's own work leaves of what the server stack (and this load generator) can do.
3. The real `agent-analytics collector` process, twice (`durability: fsync`, the default, and
   `none`), pinned to the same single core, receives the same batch bodies over OTLP/HTTP
   (metrics also over OTLP/gRPC) from 20 concurrent clients (this process, pinned to the other
   core): data points/s and log records/s it ingests, end to end (metrics folded into the
   state; events forwarded to a Loki stand-in that answers 204, the time until the last one is
   forwarded included).
4. Single payloads: 20 concurrent clients sending single recorded payloads (metrics and logs
   mixed, as Claude Code sends them): requests/s, p50 / p99 per request.
A batch is --batch recorded payloads concatenated into one request (protobuf merges them).
All phases, baseline and floor included, are repeated --runs times in turn; the best of each
counts, so other load on a shared machine weighs on the figures as little as it can. The CPU
time the server process spends per request (from /proc) is shown too: it holds still when the
machine is busy and rates do not. The summary is printed as Markdown.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from google.protobuf import json_format  # noqa: E402
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest  # noqa: E402
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "claude-code"
FLOOR = Path(__file__).resolve().with_name("collector_floor.py")
# metric batches over OTLP/HTTP: at least this share of decode-and-walk
GOAL_BATCH_RATIO = 0.80
# single payloads: at least this share of the floor's request rate, p99 under GOAL_P99_MS
GOAL_SINGLE_RATIO = 0.75
GOAL_P99_MS = 5.0
# durability: none may answer at most this much faster than fsync
GOAL_NONE_GAIN = 0.15
DURABILITY = ("fsync", "none")
TARGETS = ("floor", *DURABILITY)
# phase -> what it sends and what its figure counts
PHASES = {
    "metrics_http": "metric data points, OTLP/HTTP batches",
    "metrics_grpc": "metric data points, OTLP/gRPC batches",
    "logs_http": "log records, OTLP/HTTP batches → Loki",
    "singles": "requests, single payloads (metrics and logs)",
}


# --- payloads ------------------------------------------------------------------------------------


def recorded(signal_name: str) -> list[bytes]:
    """The recorded bodies of one signal as protobuf."""
    request_type = ExportMetricsServiceRequest if signal_name == "metrics" else ExportLogsServiceRequest
    out = []
    for path in sorted(FIXTURES.glob(f"*.{signal_name}*")):
        body = path.read_bytes()
        message = request_type.FromString(body) if path.suffix == ".pb" else json_format.Parse(body, request_type())
        out.append(message.SerializeToString())
    return out


def batches(bodies: list[bytes], size: int, count: int = 8) -> list[bytes]:
    """`count` batch bodies of `size` recorded payloads each, cycling through the recordings."""
    out, i = [], 0
    for _ in range(count):
        parts = []
        for _ in range(size):
            parts.append(bodies[i % len(bodies)])
            i += 1
        out.append(b"".join(parts))
    return out


# --- baseline: decode and walk -------------------------------------------------------------------


def _value(v):
    which = v.WhichOneof("value")
    return getattr(v, which) if which else None


def walk_metrics(body: bytes) -> int:
    request = ExportMetricsServiceRequest.FromString(body)
    points = 0
    for rm in request.resource_metrics:
        for kv in rm.resource.attributes:
            kv.key, _value(kv.value)
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                data = getattr(metric, metric.WhichOneof("data"))
                for point in data.data_points:
                    for kv in point.attributes:
                        kv.key, _value(kv.value)
                    points += 1
    return points


def walk_logs(body: bytes) -> int:
    request = ExportLogsServiceRequest.FromString(body)
    records = 0
    for rl in request.resource_logs:
        for kv in rl.resource.attributes:
            kv.key, _value(kv.value)
        for sl in rl.scope_logs:
            for record in sl.log_records:
                _value(record.body)
                for kv in record.attributes:
                    kv.key, _value(kv.value)
                records += 1
    return records


def baseline(bodies: list[tuple], seconds: float) -> dict:
    """Decode and walk (walker, body) pairs in turn for `seconds`: items and bodies per second,
    CPU per body."""
    items = done = 0
    start, cpu = time.perf_counter(), time.process_time()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for walk, body in bodies:
            items += walk(body)
        done += len(bodies)
    elapsed = time.perf_counter() - start
    return {
        "items_per_s": items / elapsed,
        "requests_per_s": done / elapsed,
        "cpu_us_per_request": 1e6 * (time.process_time() - cpu) / done,
    }


# --- load generation -----------------------------------------------------------------------------


def http_request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-protobuf\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


async def _client(port: int, requests: list[tuple[bytes, int]], deadline: float, latencies: list, done: list) -> None:
    """One keep-alive connection sending requests back to back until the deadline."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < deadline:
            raw, items = requests[i % len(requests)]
            i += 1
            t0 = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(int(_LENGTH.search(head).group(1)))
            latencies.append(time.perf_counter() - t0)
            if head[9:12] != b"200":
                raise RuntimeError(f"collector answered {head[:40]!r}")
            done[0] += items
    finally:
        writer.close()


async def _grpc_client(target: str, requests: list[tuple[bytes, int]], deadline: float, latencies: list, done: list):
    """One gRPC channel calling MetricsService/Export with raw bodies until the deadline."""
    async with grpc.aio.insecure_channel(target) as channel:
        export = channel.unary_unary(
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            request_serializer=None,
            response_deserializer=None,
        )
        i = 0
        while time.perf_counter() < deadline:
            body, items = requests[i % len(requests)]
            i += 1
            t0 = time.perf_counter()
            await export(body, timeout=60)
            latencies.append(time.perf_counter() - t0)
            done[0] += items


def load(port: int, requests: list[tuple[bytes, int]], clients: int, seconds: float, grpc_target: str = "") -> dict:
    """Closed-loop load from `clients` connections: OTLP/HTTP on `port`, or gRPC on `grpc_target`."""
    latencies: list[float] = []
    done = [0]

    async def run() -> float:
        start = time.perf_counter()
        deadline = start + seconds
        if grpc_target:
            tasks = (
                _grpc_client(grpc_target, requests[k:] + requests[:k], deadline, latencies, done)
                for k in range(clients)
            )
        else:
            tasks = (_client(port, requests[k:] + requests[:k], deadline, latencies, done) for k in range(clients))
        await asyncio.gather(*tasks)
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    ordered = sorted(latencies)
    return {
        "items": done[0],
        "elapsed_s": elapsed,
        "items_per_s": done[0] / elapsed,
        "requests_per_s": len(ordered) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "requests": len(ordered),
    }


# --- a Loki stand-in that takes everything -------------------------------------------------------


class SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        SinkHandler.received += len(body)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


# --- the servers -------------------------------------------------------------------------------


def pinned(core: int):
    return lambda: os.sched_setaffinity(0, {core})


def start_collector(core: int, data_dir: Path, loki_url: str, durability: str) -> tuple[subprocess.Popen, dict]:
    data_dir.mkdir(parents=True)
    config = data_dir / "collector.yaml"
    config.write_text(f"durability: {durability}\n")
    exe = Path(sys.executable).with_name("agent-analytics")
    command = [str(exe) if exe.exists() else shutil.which("agent-analytics") or "agent-analytics"]
    proc = subprocess.Popen(
        [
            *command,
            "collector",
            "--grpc-port",
            "0",
            "--http-port",
            "0",
            "--metrics-port",
            "0",
            "--data-dir",
            str(data_dir),
            "--loki-url",
            loki_url,
            "--config",
            str(config),
            "--json",
        ],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=pinned(core),
    )
    endpoints = json.loads(proc.stdout.readline())
    return proc, endpoints


def start_floor(core: int) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, str(FLOOR)], stdout=subprocess.PIPE, text=True, preexec_fn=pinned(core))
    return proc, json.loads(proc.stdout.readline())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_metric(metrics_url: str, series: str) -> float:
    text = httpx.get(metrics_url, timeout=30).text
    match = re.search("^" + re.escape(series) + r" (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def received_total(metrics_url: str, signal_name: str) -> float:
    return self_metric(
        metrics_url, f'agent_analytics_collector_received_total{{agent="claude-code",signal="{signal_name}"}}'
    )


def phases(proc: subprocess.Popen, endpoints: dict, args, requests: dict) -> dict:
    """Every phase against one server. For a collector (it has /metrics): every point and record
    sent must be counted, and a phase of events lasts until the last one is forwarded to Loki."""
    port = int(endpoints["otlp_http"].rsplit(":", 1)[1])
    metrics_url = endpoints.get("metrics")
    out = {}
    for phase, (sent, grpc_target, signals) in requests.items():
        before = {s: received_total(metrics_url, s) for s in ("metrics", "logs")} if metrics_url else {}
        cpu = cpu_seconds(proc.pid)
        result = load(port, sent, args.clients, args.seconds, grpc_target=endpoints["otlp_grpc"] if grpc_target else "")
        result["cpu_us_per_request"] = 1e6 * (cpu_seconds(proc.pid) - cpu) / result["requests"]
        if metrics_url:
            counted = sum(received_total(metrics_url, s) - before[s] for s in signals)
            if counted != result["items"]:
                raise RuntimeError(f"{phase}: the collector counted {counted:.0f}, clients sent {result['items']}")
            if "logs" in signals:
                # events count as ingested once Loki has them: wait for the background forwarder
                drain_start = time.perf_counter()
                received_logs = received_total(metrics_url, "logs")
                while self_metric(metrics_url, "agent_analytics_collector_loki_forwarded_total") < received_logs:
                    if time.perf_counter() - drain_start > 300:
                        raise RuntimeError("events were not forwarded to the Loki stand-in within 300 s")
                    time.sleep(0.05)
                result["drain_s"] = time.perf_counter() - drain_start
                if phase == "logs_http":
                    result["items_per_s"] = result["items"] / (result["elapsed_s"] + result["drain_s"])
        out[phase] = result
    return out


# --- the summary -----------------------------------------------------------------------------------


def rate(result: dict, phase: str) -> float:
    return result["requests_per_s" if phase == "singles" else "items_per_s"]


def summarize(runs: list[dict], args, cores: tuple[int, int]) -> dict:
    def best(target: str, phase: str) -> dict:
        return max((r[target][phase] for r in runs), key=lambda x: rate(x, phase))

    table = {}
    for phase in PHASES:
        row = {target: best(target, phase) for target in TARGETS + ("baseline",)}
        fsync, none, floor = rate(row["fsync"], phase), rate(row["none"], phase), rate(row["floor"], phase)
        figures = {
            "floor_per_s": floor,
            "fsync_per_s": fsync,
            "none_per_s": none,
            "of_floor": fsync / floor,
            "none_gain": none / fsync - 1,
            "fsync": {k: row["fsync"][k] for k in ("p50_ms", "p99_ms", "cpu_us_per_request")},
            "none": {k: row["none"][k] for k in ("p50_ms", "p99_ms", "cpu_us_per_request")},
            "floor": {k: row["floor"][k] for k in ("p50_ms", "p99_ms", "cpu_us_per_request")},
            "baseline_per_s": rate(row["baseline"], phase),
            "baseline_cpu_us_per_request": row["baseline"]["cpu_us_per_request"],
        }
        figures["of_baseline"] = fsync / figures["baseline_per_s"]
        table[phase] = figures
    singles, http_batches = table["singles"], table["metrics_http"]
    goals = {
        "metric batches over OTLP/HTTP >= 80% of decode + walk": http_batches["of_baseline"] >= GOAL_BATCH_RATIO,
        "single payloads >= 75% of the floor": singles["of_floor"] >= GOAL_SINGLE_RATIO,
        "single payloads p99 < 5 ms": singles["fsync"]["p99_ms"] < GOAL_P99_MS,
        "durability none gains <= 15% over fsync": all(t["none_gain"] <= GOAL_NONE_GAIN for t in table.values()),
    }
    sent = {
        "points": sum(r[m][p]["items"] for r in runs for m in DURABILITY for p in ("metrics_http", "metrics_grpc")),
        "records": sum(r[m]["logs_http"]["items"] for r in runs for m in DURABILITY),
        "single_requests": sum(r[m]["singles"]["requests"] for r in runs for m in DURABILITY),
    }
    return {
        "cores": {"servers": cores[0], "clients": cores[1]},
        "runs": args.runs,
        "seconds_per_phase": args.seconds,
        "batch_payloads": args.batch,
        "clients": args.clients,
        "phases": table,
        "goals": goals,
        "sent_and_counted": sent,
        "all_runs": runs,
    }


def markdown(figures: dict, command: str) -> str:
    table = figures["phases"]
    lines = [
        f"Collector and floor pinned to core {figures['cores']['servers']}, {figures['clients']} clients on core "
        f"{figures['cores']['clients']}; batches of {figures['batch_payloads']} recorded payloads; best of "
        f"{figures['runs']} runs of {figures['seconds_per_phase']:g} s per phase; `durability: fsync` (the default).",
        "",
        "| per second | decode + walk | floor (no work) | collector | of decode + walk | of floor "
        "| p50 | p99 | CPU per request: collector / floor / decode + walk |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for phase, label in PHASES.items():
        t = table[phase]
        lines.append(
            f"| {label} | {t['baseline_per_s']:,.0f} | {t['floor_per_s']:,.0f} | {t['fsync_per_s']:,.0f} "
            f"| {t['of_baseline']:.0%} | {t['of_floor']:.0%} | {t['fsync']['p50_ms']:.1f} ms "
            f"| {t['fsync']['p99_ms']:.1f} ms | {t['fsync']['cpu_us_per_request']:,.0f} µs "
            f"/ {t['floor']['cpu_us_per_request']:,.0f} µs / {t['baseline_cpu_us_per_request']:,.0f} µs |"
        )
    lines += [
        "",
        "| per second | `durability: fsync` | `durability: none` | none gains | p99 fsync / none |",
        "|---|---|---|---|---|",
    ]
    for phase, label in PHASES.items():
        t = table[phase]
        lines.append(
            f"| {label} | {t['fsync_per_s']:,.0f} | {t['none_per_s']:,.0f} | {t['none_gain']:+.0%} "
            f"| {t['fsync']['p99_ms']:.1f} ms / {t['none']['p99_ms']:.1f} ms |"
        )
    singles = table["singles"]
    floor_cpu, walk_cpu = singles["floor"]["cpu_us_per_request"], singles["baseline_cpu_us_per_request"]
    batch = table["metrics_http"]
    fsync_cpu, none_cpu = batch["fsync"]["cpu_us_per_request"], batch["none"]["cpu_us_per_request"]
    walk_batch_cpu = batch["baseline_cpu_us_per_request"]
    lines += [
        "",
        f"In CPU per request, which other load on the machine moves far less than rates: a metric batch over "
        f"OTLP/HTTP costs the collector {fsync_cpu:,.0f} µs with fsync and {none_cpu:,.0f} µs without, decode + "
        f"walk {walk_batch_cpu:,.0f} µs ({walk_batch_cpu / fsync_cpu:.0%} of its rate on a core of its own).",
    ]
    lines += [
        "",
        f"A server answering single payloads from one core can at best reach the floor's CPU per request "
        f"({floor_cpu:,.0f} µs) plus decoding and walking the payload ({walk_cpu:,.0f} µs): "
        f"{floor_cpu / (floor_cpu + walk_cpu):.0%} of the floor's rate when that core is the limit; "
        f"the collector spends {singles['fsync']['cpu_us_per_request']:,.0f} µs.",
    ]
    lines += ["", "| goal | met |", "|---|---|"]
    lines += [f"| {goal} | {'yes' if met else 'no'} |" for goal, met in figures["goals"].items()]
    sent = figures["sent_and_counted"]
    lines += [
        "",
        f"Every one of the {sent['points']:,} data points and {sent['records']:,} log records of the batch phases "
        f"and of the {sent['single_requests']:,} single-payload requests was counted by the collector, and every "
        "record forwarded to Loki.",
        "",
        f"Rerun: `{command}`",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each phase")
    parser.add_argument("--runs", type=int, default=3, help="rounds of all phases; the best of each counts")
    parser.add_argument("--batch", type=int, default=20, help="recorded payloads per throughput request")
    parser.add_argument("--clients", type=int, default=20, help="concurrent client connections")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    cores = sorted(os.sched_getaffinity(0))
    server_core, client_core = cores[0], cores[-1]
    metrics_bodies, log_bodies = recorded("metrics"), recorded("logs")
    metric_batches, log_batches = batches(metrics_bodies, args.batch), batches(log_bodies, args.batch)
    points_per = [walk_metrics(b) for b in metric_batches]
    records_per = [walk_logs(b) for b in log_batches]
    singles = [(http_request("/v1/metrics", b), walk_metrics(b)) for b in metrics_bodies]
    singles += [(http_request("/v1/logs", b), walk_logs(b)) for b in log_bodies]
    # what the baseline decodes and walks for each phase
    walked = {
        "metrics_http": [(walk_metrics, b) for b in metric_batches],
        "logs_http": [(walk_logs, b) for b in log_batches],
        "singles": [(walk_metrics, b) for b in metrics_bodies] + [(walk_logs, b) for b in log_bodies],
    }
    walked["metrics_grpc"] = walked["metrics_http"]
    # phase -> (requests, over gRPC, signals counted)
    requests = {
        "metrics_http": (
            [(http_request("/v1/metrics", b), n) for b, n in zip(metric_batches, points_per, strict=True)],
            False,
            ("metrics",),
        ),
        "metrics_grpc": (list(zip(metric_batches, points_per, strict=True)), True, ("metrics",)),
        "logs_http": (
            [(http_request("/v1/logs", b), n) for b, n in zip(log_batches, records_per, strict=True)],
            False,
            ("logs",),
        ),
        "singles": (singles, False, ("metrics", "logs")),
    }

    sink = ThreadingHTTPServer(("127.0.0.1", 0), SinkHandler)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    data_dir = Path(tempfile.mkdtemp(prefix="aa-bench-collector-"))
    loki_url = f"http://127.0.0.1:{sink.server_address[1]}"
    servers = {"floor": start_floor(server_core)}
    servers |= {mode: start_collector(server_core, data_dir / mode, loki_url, mode) for mode in DURABILITY}
    runs = []
    try:
        for mode in DURABILITY:
            httpx.get(servers[mode][1]["metrics"], timeout=30)  # warm up
        for _ in range(args.runs):
            # the baseline runs on the servers' core, between their phases, so all see the same machine
            os.sched_setaffinity(0, {server_core})
            run = {
                "baseline": {
                    phase: baseline(walked[phase], args.seconds) for phase in ("metrics_http", "logs_http", "singles")
                }
            }
            run["baseline"]["metrics_grpc"] = run["baseline"]["metrics_http"]
            os.sched_setaffinity(0, {client_core})
            for target, (proc, endpoints) in servers.items():
                run[target] = phases(proc, endpoints, args, requests)
            runs.append(run)
    finally:
        for proc, _ in servers.values():
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        sink.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)

    figures = summarize(runs, args, (server_core, client_core))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    command = " ".join([".venv/bin/python", "tests/bench/bench_collector.py", *sys.argv[1:]])
    print(markdown(figures, command))


if __name__ == "__main__":
    main()
