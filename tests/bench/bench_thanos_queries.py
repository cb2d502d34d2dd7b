"""Benchmark: every dashboard's PromQL targets on Thanos Query against the single Prometheus, on
the same generated history in the same run (loaded as tests/bench/bench_dashboard_queries.py
loads it: developers x days of hourly counters, their hourly pre-aggregates, a week of recorded
series).

    .venv/bin/python tests/bench/bench_thanos_queries.py                  # 500 developers x 90 days
    .venv/bin/python tests/bench/bench_thanos_queries.py --developers 50 --days 14 --repeat 3   # quicker
    .venv/bin/python tests/bench/bench_thanos_queries.py --data /var/tmp/aa-bench   # load once, rerun on it

The same queries, answered three ways (`make thanos` builds Thanos first):

* `single`: Prometheus on the loaded TSDB, the baseline.
* `query+sidecar`: Thanos Query over a sidecar of that same Prometheus: what Query adds to a
  replica's answer (the sidecar reads Prometheus through its remote-read API).
* `query+store`: Thanos Query over a store gateway, the blocks uploaded to a bucket (a folder
  here): where a long history lives in the layout of docs/scaling-thanos.md.

Each target runs --repeat times the way Grafana sends it (bench_dashboard_queries.board_queries),
the backends taking turns after one unmeasured round; per dashboard: the sum of its targets'
median times and the time to load it (every target at once, median of --repeat loads), each
backend's ratio to `single`. Then the rule groups: how long
one evaluation of each takes on the single Prometheus and on Thanos Ruler (through Query over the
store gateway), at the production interval; the single Prometheus evaluates them on the loaded
data, so a kept --data folder gains their recorded series (at the time of the run, after the
history). Prints markdown tables and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_dashboard_queries import (  # noqa: E402
    FLAGS,
    board_queries,
    dashboard_load,
    history_arguments,
    loaded,
    timed,
)
from tests.support.grafana_queries import RULES, load_dashboards  # noqa: E402
from tests.support.net import wait_until  # noqa: E402
from tests.support.prometheus import Prometheus, QueryApi  # noqa: E402
from tests.support.thanos import (  # noqa: E402
    HISTORY_LABELS,
    REPLICA_LABEL,
    Component,
    filesystem_bucket,
    require,
    ruler_rule_files,
    upload_blocks,
    version,
)

# The single Prometheus' query settings (bench_dashboard_queries.FLAGS), given to Query too
QUERY_FLAGS = ["--query.lookback-delta=1h", "--query.timeout=5m"]


def started(component: Component) -> Component:
    return component.launch().wait_ready(timeout=600)


def wait_stores(query: Component, count: int) -> None:
    def healthy() -> bool:
        listed = httpx.get(f"{query.url}/api/v1/stores", timeout=10).json()["data"]
        return sum(not s.get("lastError") for kind in listed.values() for s in kind) >= count

    wait_until(healthy, timeout=600, what="Query sees its stores")


def measure(backends: dict[str, QueryApi], boards: list[tuple[str, list]], end: int, repeat: int) -> dict:
    """Backend -> dashboard -> the sum of its targets' median seconds and the median time to load
    it. Each backend answers every target once unmeasured first (warm caches, as a dashboard
    opened before); then the backends take turns on each query, so a change in the machine's
    load falls on all of them."""
    for _, queries in boards:
        for query in queries:
            for api in backends.values():
                timed(api, *query[:2], end, *query[2:])
    out: dict[str, dict] = {name: {} for name in backends}
    for title, queries in boards:
        times = {name: [[] for _ in queries] for name in backends}
        loads: dict[str, list[float]] = {name: [] for name in backends}
        for _ in range(repeat):
            for i, query in enumerate(queries):
                for name, api in backends.items():
                    times[name][i].append(timed(api, *query[:2], end, *query[2:]))
            for name, api in backends.items():
                loads[name].append(dashboard_load(api, queries, end))
        for name in backends:
            out[name][title] = {
                "targets": len(queries),
                "sum_ms": sum(statistics.median(t) for t in times[name]) * 1000,
                "load_ms": statistics.median(loads[name]) * 1000,
            }
    return out


def rule_groups(url: str, timeout: float = 660) -> dict[str, float]:
    """Seconds the last evaluation of each rule group took, once every group has run (the rollout
    alert's group runs every 5 minutes, so its first evaluation can be nearly two intervals away)."""
    groups: dict[str, float] = {}

    def evaluated() -> bool:
        body = httpx.get(f"{url}/api/v1/rules", timeout=30).json()["data"]["groups"]
        groups.clear()
        groups.update({g["name"]: g["evaluationTime"] for g in body if g["lastEvaluation"][:4] != "0001"})
        return bool(body) and len(groups) == len(body)

    wait_until(evaluated, timeout=timeout, interval=2, what="every rule group evaluated")
    return dict(groups)


def main() -> None:
    parser = history_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument(
        "--engine", default="prometheus", choices=["prometheus", "thanos"], help="Query's PromQL engine"
    )
    parser.add_argument("--no-rules", action="store_true", help="skip the rule groups' evaluation times")
    args = parser.parse_args()
    require()

    work = args.data or Path(tempfile.mkdtemp(prefix="aa-bench-thanos-"))
    scratch = Path(tempfile.mkdtemp(prefix="aa-bench-thanos-run-"))
    components: list[Component] = []
    try:
        meta = loaded(args, work)
        end = meta["end"]
        started_at = time.perf_counter()
        bucket = filesystem_bucket(scratch / "bucket", scratch / "bucket.yaml")
        upload_blocks(bucket, work / "data", HISTORY_LABELS)
        upload_seconds = time.perf_counter() - started_at
        boards = [(b["title"], board_queries(b)) for b in load_dashboards().values()]
        boards = [(title, queries) for title, queries in boards if queries]
        engine = [f"--query.promql-engine={args.engine}"]
        with Prometheus(data_dir=work / "data", extra_args=FLAGS, external_labels={REPLICA_LABEL: "a"}) as prom:
            sidecar = started(
                Component("sidecar", [f"--tsdb.path={prom.data_dir}", f"--prometheus.url={prom.url}"], scratch)
            )
            store = started(
                Component("store", [f"--data-dir={scratch / 'store'}", f"--objstore.config-file={bucket}"], scratch)
            )
            components += [sidecar, store]
            backends: dict[str, QueryApi] = {"single": prom}
            for name, endpoint in (("query+sidecar", sidecar), ("query+store", store)):
                query = started(Component("query", [f"--endpoint={endpoint.grpc}", *QUERY_FLAGS, *engine], scratch))
                components.append(query)
                wait_stores(query, 1)
                backends[name] = QueryApi(query.url)
            series = float(prom.query('count({__name__=~".+"})', at=end)[0]["value"][1])
            results = measure(backends, boards, end, args.repeat)
        rules: dict[str, dict[str, float]] = {}
        if not args.no_rules:
            store_query = components[-1]
            folder = scratch / "rules"
            folder.mkdir()
            copies = [shutil.copy(p, folder / p.name) for p in RULES]
            ruler = started(
                Component(
                    "rule",
                    [
                        f"--data-dir={scratch / 'rule'}",
                        *(f"--rule-file={p}" for p in ruler_rule_files([Path(c) for c in copies], scratch / "ruler")),
                        f"--query={store_query.url}",
                        f'--label={REPLICA_LABEL}="ruler"',
                    ],
                    scratch,
                )
            )
            components.append(ruler)
            rules["ruler"] = rule_groups(ruler.url)
            ruler.stop()
            with Prometheus(data_dir=work / "data", extra_args=FLAGS, rule_files=RULES) as single_rules:
                rules["single"] = rule_groups(single_rules.url)
    finally:
        for component in reversed(components):
            component.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        if args.data is None:
            shutil.rmtree(work, ignore_errors=True)

    print(
        f"Thanos {version()} ({args.engine} engine) against Prometheus,"
        f" {args.developers} developers x {args.days} days: {series:,.0f} series;"
        f" blocks uploaded to the bucket in {upload_seconds:.0f}s; median of {args.repeat}"
    )
    print()
    columns = ["single", "query+sidecar", "ratio", "query+store", "ratio"]
    print(
        "| Dashboard | Targets | " + " | ".join(c if c == "ratio" else f"{c}: sum / load (ms)" for c in columns) + " |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    summary = []
    for title, queries in boards:
        row = {name: results[name][title] for name in results}
        base = row["single"]
        ratios = {name: row[name]["load_ms"] / base["load_ms"] for name in row if name != "single"}
        summary.append({"dashboard": title, **{n: r for n, r in row.items()}, "load_ratio": ratios})
        cells = [f"{base['sum_ms']:.0f} / {base['load_ms']:.0f}"]
        for name in ("query+sidecar", "query+store"):
            cells += [f"{row[name]['sum_ms']:.0f} / {row[name]['load_ms']:.0f}", f"{ratios[name]:.2f}x"]
        print(f"| {title} | {len(queries)} | " + " | ".join(cells) + " |")
    if rules:
        print()
        print("| Rule group (one evaluation) | single Prometheus (ms) | Thanos Ruler via Query (ms) |")
        print("|---|---:|---:|")
        for group in sorted(rules["single"]):
            single, ruler = rules["single"][group], rules["ruler"].get(group, float("nan"))
            print(f"| {group} | {single * 1000:.0f} | {ruler * 1000:.0f} |")
    print()
    print(
        json.dumps(
            {
                **meta,
                "thanos": version(),
                "engine": args.engine,
                "series": series,
                "upload_seconds": upload_seconds,
                "dashboards": summary,
                "rule_groups_seconds": rules,
            }
        )
    )


if __name__ == "__main__":
    main()
