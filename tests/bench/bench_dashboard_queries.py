"""Benchmark: the query time of every dashboard panel over a generated history of 500
developers x 90 days, loaded into a real Prometheus with promtool backfill.

    .venv/bin/python tests/bench/bench_dashboard_queries.py                  # 500 developers x 90 days
    .venv/bin/python tests/bench/bench_dashboard_queries.py --developers 50 --days 14 --repeat 3   # quicker

1. History: per developer about 25 counters (Claude Code cost/tokens/sessions/time/lines/edit
   decisions, git commits/lines by agent), one sample per hour, written as OpenMetrics and turned
   into blocks by `promtool tsdb create-blocks-from openmetrics`. The git counters carry the
   exporter's job label, as scraped by a Prometheus that ran through those days (`backfill git`
   blocks carry none and are read raw).
2. The hourly pre-aggregates the panels sum (agent_analytics/vocabulary/hourly.py) are written for the
   whole history as `demo` and `backfill` write them (agent_analytics.history.hourly_backfill:
   each hourly rule evaluated at every whole hour); the time and samples this adds are printed.
   The other recording rules are backfilled over the last --rule-days days with
   `promtool tsdb create-blocks-from rules` (at a 1 h interval here). The history has no hour in
   progress, so the panels' interval part (one hour of per-interval samples) reads nothing.
3. Every PromQL target of every dashboard runs --repeat times the way Grafana sends it (instant,
   or a range over the dashboard's default time range at the step Grafana computes from the
   panel's max data points and min interval); median and max per panel.
   Baseline, measured in the same run on the same Prometheus: `vector(1)` (the HTTP and engine
   floor) and `count(claude_code_cost_usage_USD_total)` (touching every cost series once).
   Before measuring, Prometheus merges the loaded blocks (as it does by itself within minutes of
   a backfill); the bench waits for that.
4. Each dashboard's targets fired together, as Grafana sends a dashboard's queries when it
   opens (one connection per target): the time until the last answer, median and max of
   --repeat loads.
Prints a table and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent_analytics.history.hourly_backfill import hourly_series  # noqa: E402
from agent_analytics.history.openmetrics import write_openmetrics  # noqa: E402
from agent_analytics.vocabulary.facts import (  # noqa: E402
    JOB_EXPORTER,  # noqa: E402
    seconds,  # noqa: E402
)
from agent_analytics.wire.prom_query import Prometheus as PromClient  # noqa: E402
from tests.support.grafana_queries import RULES, Target, board_variables, load_dashboards, substitute  # noqa: E402
from tests.support.prometheus import Prometheus  # noqa: E402

HOUR = 3600
TEAMS = 25
MODELS = ("claude-sonnet-4-5", "claude-opus-4-5")
CLIENT = httpx.Client(timeout=300)  # one keep-alive connection, as Grafana keeps one
PARALLEL = httpx.Client(timeout=300, limits=httpx.Limits(max_connections=200))  # dashboard loads
RANGE_BY_DASHBOARD_FROM = {"now-30d": "30d", "now-7d": "7d"}
SCRAPE_INTERVAL = 15  # the Prometheus datasource's timeInterval (grafana/provisioning)
# Grafana's rounding of a computed interval: (below this many seconds, the step), from 20 s up
GRAFANA_ROUNDING = [
    (25, 20), (45, 30), (90, 60), (210, 120), (450, 300), (750, 600), (1050, 900), (1500, 1200),
    (2700, 1800), (5400, 3600), (9000, 7200), (16200, 10800), (32400, 21600), (86400, 43200),
    (604800, 86400), (1814400, 604800), (3628800, 30 * 86400),
]  # fmt: skip
HOURLY_GROUP = "agent_analytics_hourly"  # written by hourly_backfill() instead
FLAGS = ["--storage.tsdb.retention.time=400d", "--query.lookback-delta=1h", "--query.max-samples=200000000"]


def labels_text(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


class History:
    """Writes counters family by family as OpenMetrics files of a bounded size."""

    def __init__(self, developers: int, days: int, end: int, seed: int = 1):
        self.rng = random.Random(seed)
        self.start = end - days * 86400
        self.times = list(range(self.start, end + 1, HOUR))
        self.devs = []
        for i in range(developers):
            active = [self._working(t) and self.rng.random() < 0.7 for t in self.times]
            self.devs.append(
                {
                    "developer_id": f"dev{i:03d}@acme.dev",
                    "team_id": f"team{i % TEAMS:02d}",
                    "models": MODELS if i % 2 else MODELS[:1],
                    "active": active,
                }
            )
        self.samples = 0

    @staticmethod
    def _working(t: int) -> bool:
        hour, weekday = (t // HOUR) % 24, ((t // 86400) + 3) % 7  # 1970-01-01 was a Thursday
        return weekday < 5 and 8 <= hour < 18

    def _series(self, out, name: str, labels: dict[str, str], active: list[bool], per_hour: float) -> None:
        value, prefix = 0.0, f"{name}_total{{{labels_text(labels)}}} "
        lines = []
        for t, on in zip(self.times, active, strict=True):
            if on:
                value += per_hour * self.rng.uniform(0.2, 1.8)
            lines.append(f"{prefix}{value:.6g} {t}\n")
        out.writelines(lines)
        self.samples += len(lines)

    def families(self):
        """(family name, writer(out, developers)) of every counter family."""

        def cost(out, dev):
            for m in dev["models"]:
                self._series(out, "claude_code_cost_usage_USD", {**self._who(dev), "model": m}, dev["active"], 1.5)

        def tokens(out, dev):
            for m in dev["models"]:
                for kind, rate in (("input", 2e4), ("output", 5e3), ("cacheRead", 2e5), ("cacheCreation", 2e4)):
                    labels = {**self._who(dev), "model": m, "type": kind}
                    self._series(out, "claude_code_token_usage_tokens", labels, dev["active"], rate)

        def simple(name, rate, **extra):
            def write(out, dev):
                self._series(out, name, {**self._who(dev), **extra}, dev["active"], rate)

            return write

        def lines(out, dev):
            for kind in ("added", "removed"):
                labels = {**self._who(dev), "model": dev["models"][0], "type": kind}
                self._series(out, "claude_code_lines_of_code_count", labels, dev["active"], 40)

        def decisions(out, dev):
            for tool in ("Edit", "Write"):
                for decision in ("accept", "reject"):
                    labels = {
                        **self._who(dev),
                        "tool_name": tool,
                        "decision": decision,
                        "source": "config",
                        "language": "Python",
                    }
                    self._series(out, "claude_code_code_edit_tool_decision", labels, dev["active"], 3)

        def git(metric, rate):
            def write(out, dev):
                for agent, evidence in (("claude-code", "session"), ("none", "none")):
                    labels = {
                        "job": JOB_EXPORTER,  # as Prometheus scrapes them from the exporter
                        "repo": "github.com/acme/api",
                        **self._who(dev),
                        "agent": agent,
                        "evidence": evidence,
                    }
                    self._series(out, metric, labels, dev["active"], rate)

            return write

        return [
            ("claude_code_cost_usage_USD", cost),
            ("claude_code_token_usage_tokens", tokens),
            ("claude_code_session_count", simple("claude_code_session_count", 0.3)),
            ("claude_code_active_time_seconds", simple("claude_code_active_time_seconds", 900, type="cli")),
            ("claude_code_lines_of_code_count", lines),
            ("claude_code_commit_count", simple("claude_code_commit_count", 0.2)),
            ("claude_code_pull_request_count", simple("claude_code_pull_request_count", 0.05)),
            ("claude_code_code_edit_tool_decision", decisions),
            ("agent_analytics_git_commits", git("agent_analytics_git_commits", 0.3)),
            ("agent_analytics_git_lines_added", git("agent_analytics_git_lines_added", 30)),
            ("agent_analytics_git_lines_deleted", git("agent_analytics_git_lines_deleted", 10)),
        ]

    @staticmethod
    def _who(dev) -> dict[str, str]:
        return {"team_id": dev["team_id"], "developer_id": dev["developer_id"]}

    def gauges(self, out) -> None:
        out.write("# TYPE agent_analytics_budget_monthly_usd gauge\n")
        for team in range(TEAMS):
            for t in self.times:
                out.write(f'agent_analytics_budget_monthly_usd{{team_id="team{team:02d}"}} 2000 {t}\n')
        out.write("# TYPE agent_analytics_seats_paid gauge\n")
        for t in self.times:
            out.write(f'agent_analytics_seats_paid{{agent="claude-code"}} {len(self.devs)} {t}\n')
        out.write("# TYPE agent_analytics_seat_price_monthly_usd gauge\n")
        for t in self.times:
            out.write(f'agent_analytics_seat_price_monthly_usd{{agent="claude-code"}} 100 {t}\n')
        self.samples += (TEAMS + 2) * len(self.times)


def promtool(*args: str) -> None:
    done = subprocess.run(["promtool", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"promtool {args[:3]} failed: {(done.stderr or done.stdout)[-2000:]}")


def backfill(history: History, data_dir: Path, scratch: Path, chunk: int) -> None:
    span_hours = len(history.times) + 2
    files = []
    for family, write in history.families():
        for first in range(0, len(history.devs), chunk):
            path = scratch / f"{family}.{first}.om"
            with path.open("w") as out:
                out.write(f"# TYPE {family} counter\n")
                for dev in history.devs[first : first + chunk]:
                    write(out, dev)
                out.write("# EOF\n")
            files.append(path)
    path = scratch / "gauges.om"
    with path.open("w") as out:
        history.gauges(out)
        out.write("# EOF\n")
    files.append(path)
    for path in files:
        promtool(
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--quiet",
            f"--max-block-duration={span_hours}h",
            str(path),
            str(data_dir),
        )
        path.unlink()


def hourly_rules(folder: Path) -> list[Path]:
    """The recording rule groups other than the hourly pre-aggregates, evaluated every hour."""
    out = []
    for path in RULES:
        data = yaml.safe_load(path.read_text())
        data["groups"] = [
            g for g in data["groups"] if any("record" in r for r in g["rules"]) and g["name"] != HOURLY_GROUP
        ]
        for group in data["groups"]:
            group["interval"] = "1h"
            group["rules"] = [r for r in group["rules"] if "record" in r]
        if data["groups"]:
            copy = folder / path.name
            copy.write_text(yaml.safe_dump(data))
            out.append(copy)
    return out


def hourly_backfill(prometheus: Prometheus, first: int, end: int, out_dir: Path, scratch: Path) -> int:
    """The hourly pre-aggregates of the whole history, as blocks in `out_dir`; returns their samples."""
    client = PromClient(prometheus.url, timeout=3600)
    try:
        series = hourly_series(client, first, end, lambda: None)
    finally:
        client.close()
    path = scratch / "hourly.om"
    with path.open("w") as f:
        samples = write_openmetrics(series, f)
    hours = (end - first) // HOUR + 2
    promtool(
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "--quiet",
        f"--max-block-duration={hours}h",
        str(path),
        str(out_dir),
    )
    path.unlink()
    return samples


def blocks_loaded(prometheus: Prometheus) -> int:
    text = CLIENT.get(prometheus.url + "/metrics").text
    return int(
        float(next(line.split()[1] for line in text.splitlines() if line.startswith("prometheus_tsdb_blocks_loaded ")))
    )


def wait_compacted(prometheus: Prometheus, quiet: int = 90, limit: int = 1800) -> int:
    """Wait until Prometheus has merged the loaded blocks, as it does within minutes of a
    backfill (one block per family and developer chunk otherwise): no change for `quiet` seconds
    after the first compaction. Returns the blocks left."""
    first, last, since = blocks_loaded(prometheus), None, time.monotonic()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        now = blocks_loaded(prometheus)
        if now != last:
            last, since = now, time.monotonic()
        elif now < first and time.monotonic() - since >= quiet:
            break
        time.sleep(5)
    return last


def timed(
    prometheus: Prometheus,
    target: Target,
    expr: str,
    end: int,
    range_seconds: int,
    step: int,
    client: httpx.Client = CLIENT,
) -> float:
    params = {"query": expr}
    if target.instant:
        url, params["time"] = "/api/v1/query", str(end)
    else:
        url = "/api/v1/query_range"
        params.update(start=str(end - range_seconds), end=str(end), step=str(step))
    started = time.perf_counter()
    body = client.get(prometheus.url + url, params=params).json()
    elapsed = time.perf_counter() - started
    if body.get("status") != "success":
        raise SystemExit(f"{target}: {body.get('error')}")
    return elapsed


def dashboard_load(prometheus: Prometheus, queries: list[tuple], end: int) -> float:
    """Seconds until the last of a dashboard's targets answers, all sent at once."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        futures = [pool.submit(timed, prometheus, t, e, end, rs, st, PARALLEL) for t, e, rs, st in queries]
        for f in futures:
            f.result()
    return time.perf_counter() - started


def history_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of the history `loaded` makes or finds again, and how often each query runs."""
    parser.add_argument("--developers", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rule-days", type=int, default=7, help="days of recorded series to backfill")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=100, help="developers per OpenMetrics file")
    parser.add_argument(
        "--data",
        type=Path,
        help="keep the loaded Prometheus data in this folder, and measure again on it when it holds a"
        " history of the same --developers and --days (instead of loading one)",
    )
    return parser


def loaded(args, work: Path) -> dict:
    """What `work` holds from an earlier run of the same --developers and --days (--data), or a
    load made now."""
    saved = work / "bench.json"
    meta = json.loads(saved.read_text()) if saved.exists() else None
    if meta and (meta["developers"], meta["days"]) != (args.developers, args.days):
        raise SystemExit(f"{work} holds {meta['developers']} developers x {meta['days']} days; use another --data")
    if meta is None:
        if work.exists() and any(work.iterdir()):
            raise SystemExit(f"{work} is not empty and holds no finished load; remove it or use another --data")
        meta = load(args, work)
    return meta


def load(args, work: Path) -> dict:
    """Generate the history and load it, with its hourly pre-aggregates and recorded series, into
    work/data; returns what was loaded (kept in work/bench.json for --data)."""
    data_dir, scratch = work / "data", work / "scratch"
    data_dir.mkdir(parents=True)
    scratch.mkdir()
    end = int(time.time()) // HOUR * HOUR - HOUR
    started = time.perf_counter()
    history = History(args.developers, args.days, end)
    backfill(history, data_dir, scratch, args.chunk)
    load_seconds = time.perf_counter() - started

    with Prometheus(data_dir=data_dir, extra_args=FLAGS) as prometheus:
        started = time.perf_counter()
        hourly_samples = hourly_backfill(prometheus, history.start + HOUR, end, work / "hourly", scratch)
        hourly_seconds = time.perf_counter() - started
        started = time.perf_counter()
        promtool(
            "tsdb",
            "create-blocks-from",
            "rules",
            "--quiet",
            f"--url={prometheus.url}",
            f"--start={end - args.rule_days * 86400}",
            f"--end={end}",
            "--eval-interval=1h",
            f"--output-dir={work / 'rules'}",
            *map(str, hourly_rules(scratch)),
        )
        rules_seconds = time.perf_counter() - started
    for folder in ("rules", "hourly"):
        for block in (work / folder).iterdir():
            shutil.move(str(block), data_dir / block.name)
    shutil.rmtree(scratch)
    with Prometheus(data_dir=data_dir, extra_args=FLAGS) as prometheus:
        started = time.perf_counter()
        blocks = wait_compacted(prometheus)
        compact_seconds = time.perf_counter() - started
    meta = {
        "developers": args.developers,
        "days": args.days,
        "end": end,
        "samples": history.samples,
        "history_seconds": load_seconds,
        "hourly_samples": hourly_samples,
        "hourly_seconds": hourly_seconds,
        "rules_backfill_seconds": rules_seconds,
        "rule_days": args.rule_days,
        "blocks": blocks,
        "compact_seconds": compact_seconds,
    }
    (work / "bench.json").write_text(json.dumps(meta))
    return meta


def grafana_step(panel: dict, range_seconds: int) -> int:
    """$__interval, the step of a panel's range queries: range / max data points in Grafana's
    rounding, or the panel's min interval (else the datasource's) where that is longer."""
    minimum = seconds(panel["interval"]) if "interval" in panel else SCRAPE_INTERVAL
    # without max data points, Grafana takes the panel's width in pixels (here on a 1920-pixel screen)
    points = panel.get("maxDataPoints") or panel["gridPos"]["w"] * 1920 / 24
    wanted = range_seconds / points
    rounded = next((step for below, step in GRAFANA_ROUNDING if wanted < below), 365 * 86400)
    return max(minimum, rounded)


def board_queries(board: dict) -> list[tuple]:
    """(target, expr, range seconds, step) of each PromQL target, as Grafana sends it."""
    range_ = RANGE_BY_DASHBOARD_FROM[board["time"]["from"]]
    range_seconds = seconds(range_)
    defaults, computed = board_variables(board)
    queries = []
    for panel in board["panels"]:
        step = grafana_step(panel, range_seconds)
        # $__rate_interval: max($__interval + the scrape interval, 4 scrape intervals)
        rate_interval = max(step + SCRAPE_INTERVAL, 4 * SCRAPE_INTERVAL)
        for t in panel.get("targets", []):
            if t["datasource"]["type"] != "prometheus":
                continue
            instant = t.get("instant", False)
            target = Target(
                board["title"], panel["title"], panel["type"], "prometheus", t["expr"], instant, defaults, computed
            )
            expr = substitute(target, range_=range_, interval=f"{step}s", rate_interval=f"{rate_interval}s")
            queries.append((target, expr, range_seconds, step))
    return queries


def main() -> None:
    parser = history_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--dashboard", help="measure only the dashboards whose title contains this")
    args = parser.parse_args()

    work = args.data or Path(tempfile.mkdtemp(prefix="aa-bench-dash-"))
    try:
        meta = loaded(args, work)
        end = meta["end"]
        results, loads = [], []
        with Prometheus(data_dir=work / "data", extra_args=FLAGS) as prometheus:
            series = float(prometheus.query('count({__name__=~".+"})', at=end)[0]["value"][1])
            baseline = {}
            for name, expr in (
                ("vector(1)", "vector(1)"),
                ("count(cost series)", "count(claude_code_cost_usage_USD_total)"),
            ):
                probe = Target("baseline", name, "stat", "prometheus", expr, True, {}, {})
                times = [timed(prometheus, probe, expr, end, 0, HOUR) for _ in range(args.repeat)]
                baseline[name] = {"median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000}
            for board in load_dashboards().values():
                if args.dashboard and args.dashboard not in board["title"]:
                    continue
                queries = board_queries(board)
                for target, expr, range_seconds, step in queries:
                    times = [timed(prometheus, target, expr, end, range_seconds, step) for _ in range(args.repeat)]
                    results.append(
                        {
                            "dashboard": board["title"],
                            "panel": target.panel,
                            "kind": "instant" if target.instant else "range",
                            "median_ms": statistics.median(times) * 1000,
                            "max_ms": max(times) * 1000,
                        }
                    )
                if queries:
                    times = [dashboard_load(prometheus, queries, end) for _ in range(args.repeat)]
                    loads.append(
                        {
                            "dashboard": board["title"],
                            "targets": len(queries),
                            "median_ms": statistics.median(times) * 1000,
                            "max_ms": max(times) * 1000,
                        }
                    )
    finally:
        if args.data is None:
            shutil.rmtree(work, ignore_errors=True)

    print(
        f"{args.developers} developers x {args.days} days: {meta['samples']:,} samples, {series:,.0f} series;"
        f" backfill {meta['history_seconds']:.0f}s,"
        f" rules backfill ({meta['rule_days']} days) {meta['rules_backfill_seconds']:.0f}s"
    )
    print(f"compaction after loading: {meta['blocks']} blocks left, {meta['compact_seconds']:.0f}s")
    print(
        f"hourly pre-aggregates of the whole history: {meta['hourly_samples']:,} samples"
        f" ({meta['hourly_samples'] / meta['samples']:.1%} of the history's), {meta['hourly_seconds']:.0f}s"
    )
    for name, b in baseline.items():
        print(f"baseline {name:<44} median {b['median_ms']:8.1f} ms   max {b['max_ms']:8.1f} ms")
    for r in sorted(results, key=lambda r: -r["median_ms"]):
        print(
            f"{r['dashboard'][:18]:<18} {r['panel'][:44]:<44} {r['kind']:<7} median {r['median_ms']:8.1f} ms"
            f"   max {r['max_ms']:8.1f} ms"
        )
    for d in loads:
        print(
            f"dashboard load {d['dashboard'][:30]:<30} {d['targets']:>3} targets at once"
            f"   median {d['median_ms']:8.1f} ms   max {d['max_ms']:8.1f} ms"
        )
    medians = [r["median_ms"] for r in results] or [0.0]  # none with a --dashboard that matches none
    summary = {
        **meta,
        "series": series,
        "targets": len(results),
        "median_of_medians_ms": statistics.median(medians),
        "slowest_median_ms": max(medians),
        "slowest_max_ms": max(r["max_ms"] for r in results),
        "baseline": baseline,
        "dashboard_loads": loads,
        "targets_over_300ms": sum(m > 300 for m in medians),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
