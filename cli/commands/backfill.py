"""`agent-analytics backfill`: history from before telemetry was on, into Prometheus blocks."""

import math
import time
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from agent_analytics.cli.moments import parse_time
from agent_analytics.cli.options import PROMETHEUS_ALIAS
from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.history.tsdb_blocks import (
    HEAD_AGE_SECONDS,
    BlockError,
    check_tsdb_dir,
    newest_allowed,
)
from agent_analytics.stack.paths import DEFAULT_PROMETHEUS_URL, resolve_tsdb, stack_dir, stack_prometheus_url
from agent_analytics.vocabulary.facts import (
    RETENTION_DAYS,  # what `up` keeps; older history would be deleted on arrival
    VENDOR_HISTORY_DAYS,
)
from agent_analytics.vocabulary.series import CLAUDE_COST, GIT_LIVE_START

# The readers (gitpython, the price table, httpx, rich) load only when a backfill runs: every
# other command of the CLI starts without them.
DAY = 86400
HOUR = 3600
DEFAULT_ROOT = Path("~/.claude/projects")
FIRST_EXPORT_SPAN = 75  # Claude Code's default metric export interval (60 s) plus a scrape interval (15 s)
DEFAULT_PROMETHEUS = DEFAULT_PROMETHEUS_URL

backfill_app = typer.Typer(
    help="Load history from before telemetry was on (git history, Claude Code transcripts, vendor APIs)"
    " into Prometheus.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

DATA_DIR = typer.Option(None, help="Data folder of `agent-analytics up` (default: the user data folder).")
PROMETHEUS_DATA = typer.Option(None, help="A Prometheus TSDB folder to write into instead of --data-dir.")
PROMETHEUS = typer.Option(
    None,
    "--prometheus-url",
    help="Prometheus to ask where live data begins, so history stops there (default: the one `up` runs on"
    " --data-dir, else http://127.0.0.1:9090; skipped with a warning when it does not answer).",
)
UNTIL = typer.Option(
    None, help="Backfill only events before this time (unix seconds or ISO) instead of asking Prometheus."
)
DAYS = typer.Option(
    RETENTION_DAYS, min=1, show_default=False, help=f"How many days back to go (default: {RETENTION_DAYS})."
)


def _fail(message: str) -> None:
    raise RuntimeFailure(str(message))  # one line on stderr, exit 1


_unanswered: set[str] = set()  # Prometheus URLs that did not answer: warned about once


def _default_prometheus(data_dir: Path | None, prometheus_data: Path | None) -> str:
    """The Prometheus of the `up` that owns the data dir written into, else the default port."""
    if prometheus_data is None:
        url = stack_prometheus_url(stack_dir(data_dir))
        if url:
            return url
    return DEFAULT_PROMETHEUS


UNTIL_HINT = ("or pass --until DATE", "pass --until if live data already covers part of that time")


def _ask_prometheus(
    prometheus: str | None, question, fallback, default: str = DEFAULT_PROMETHEUS, hints: tuple[str, str] = UNTIL_HINT
):
    """`question(Prometheus)`, or `fallback` with a warning when the default Prometheus does not answer.

    `hints`: what to do instead, when the Prometheus asked for explicitly fails, and when the default one does."""
    from agent_analytics.report.figures import Prometheus, PrometheusError

    url = prometheus or default
    if url in _unanswered:
        return fallback
    try:
        return question(Prometheus(url, timeout=60))
    except PrometheusError as e:
        if prometheus:  # asked for explicitly: it must answer
            _fail(f"{e} ({hints[0]})" if hints[0] else str(e))
        _unanswered.add(url)
        typer.echo(
            f"warning: no Prometheus at {url} to tell where live data begins; backfilling as far as the last"
            f" {HEAD_AGE_SECONDS // 3600} hours ({hints[1]})",
            err=True,
        )
        return fallback


def _day(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def _tsdb(data_dir: Path | None, prometheus_data: Path | None) -> Path:
    """The TSDB folder to write into, checked before any reading starts."""
    tsdb = resolve_tsdb(data_dir, prometheus_data)
    try:
        check_tsdb_dir(tsdb)
    except BlockError as e:
        _fail(str(e))
    return tsdb


def _write(series, tsdb: Path) -> int:
    from agent_analytics.history.hourly_backfill import write_history

    try:
        return write_history(series, tsdb).samples
    except BlockError as e:
        _fail(str(e))


LIVE_START = GIT_LIVE_START


def _live_start(prom, name: str, now: int) -> int | None:
    """When the exporter began counting the repository live (its gauge), if it ever did."""
    from agent_analytics.history.backfill_series import LIVE_LOOKBACK, selector

    found = prom.query(f"min(last_over_time({selector(LIVE_START, repo=name)}[{LIVE_LOOKBACK}]))", now)
    return int(found[0][1]) if found else None


@backfill_app.command("git")
def backfill_git(
    paths: list[Path] = typer.Argument(..., exists=False, help="Repositories (their top folders)."),
    config: Path = typer.Option(None, help="Exporter config whose `identities` map e-mails to developer_id/team_id."),
    developer_id: str = typer.Option(None, help="Your developer_id for your own commits (default: from `init`)."),
    team: str = typer.Option(None, help="Your team_id for your own commits (default: from `init`)."),
    data_dir: Path = DATA_DIR,
    prometheus_data: Path = PROMETHEUS_DATA,
    prometheus: str = PROMETHEUS,
    prometheus_alias: str = PROMETHEUS_ALIAS,
    until: str = UNTIL,
    days: int = DAYS,
) -> None:
    """Commit, line and file counters from git history, attributed and labelled as the exporter and the hook do.

    The exporter's git series and labels plus source="backfill", with a sample at each commit's own time.

    History stops where the exporter began counting the repository (it writes what came before itself).

    Re-running writes identical samples: nothing doubles.
    """
    prometheus = prometheus or prometheus_alias
    from agent_analytics.cli.progress import progress_bar
    from agent_analytics.exporter.config import ExporterConfig, load_config
    from agent_analytics.history.backfill_series import commit_time_series
    from agent_analytics.history.git_history import NotARepository, Workstation, open_repo, repo_increments
    from agent_analytics.workstation import config as workstation

    cfg = load_config(config) if config else ExporterConfig()  # a mistake in it: one line naming the file, exit 2
    ws = workstation.load_or_none()
    own_email = workstation.git_user_email().strip().lower()
    me = Workstation(
        emails=frozenset(e for e in (own_email, (ws.developer_id if ws else "").lower()) if "@" in e),
        developer_id=developer_id if developer_id is not None else (ws.developer_id if ws else ""),
        team_id=team if team is not None else (ws.team_id if ws else ""),
    )
    now = math.ceil(time.time())  # a sample scraped within this second counts as before now
    since = now - days * DAY
    repos = []
    for path in paths:
        try:
            repos.append(open_repo(path.expanduser()))
        except NotARepository as e:
            _fail(str(e))
    tsdb = _tsdb(data_dir, prometheus_data)
    seen: set[tuple[str, str]] = set()
    series = []
    lines = []
    newest = newest_allowed() // HOUR * HOUR  # a whole hour: the hourly pre-aggregates end there
    with progress_bar() as bar:
        for repo, name in repos:
            task = bar.add_task(f"Reading {name}", total=None)
            live = None
            if until is None:
                live = _ask_prometheus(
                    prometheus,
                    lambda prom, name=name: _live_start(prom, name, now),
                    None,
                    _default_prometheus(data_dir, prometheus_data),
                )
            cutoff = min(parse_time(until) if until is not None else now, newest, live or newest)
            try:
                history = repo_increments(repo, name, cfg, cutoff, seen, me, tick=lambda task=task: bar.advance(task))
            finally:
                repo.close()
            series += commit_time_series(history.increments, cutoff, since)
            bar.update(task, total=bar.tasks[task].completed)
            live_note = f"; the exporter counts it from {_day(live)} UTC" if live else ""
            lines.append(f"{name}: {history.backfilled} commits backfilled up to {_day(cutoff)} UTC{live_note}")
        load = bar.add_task("Writing Prometheus blocks", total=1)
        samples = _write(series, tsdb)
        bar.advance(load)
    for line in lines:
        typer.echo(line)
    typer.echo(f"Wrote {samples} samples of {len(series)} series into {tsdb}")


@backfill_app.command("claude-logs")
def backfill_claude_logs(
    root: Path = typer.Argument(
        DEFAULT_ROOT, show_default=False, help=f"Claude Code's transcript folder (default: {DEFAULT_ROOT})."
    ),
    developer_id: str = typer.Option(None, help="developer_id label (default: from `init`, else git user.email)."),
    team: str = typer.Option(None, help="team_id label (default: from `init`, else none)."),
    data_dir: Path = DATA_DIR,
    prometheus_data: Path = PROMETHEUS_DATA,
    prometheus: str = PROMETHEUS,
    prometheus_alias: str = PROMETHEUS_ALIAS,
    until: str = UNTIL,
    days: int = DAYS,
) -> None:
    """Cost, tokens by type and sessions from Claude Code's local transcripts (JSONL).

    Usage per assistant message, counted once per (message id, request id), priced with genai-prices.

    Written as the live Claude Code series plus source="backfill", one sample per midnight UTC.

    History stops where this developer's live telemetry begins. Re-running writes identical samples: nothing doubles.
    """
    prometheus = prometheus or prometheus_alias
    from agent_analytics.cli.progress import progress_bar
    from agent_analytics.history.backfill_series import daily_series, first_live_sample, selector
    from agent_analytics.history.claude_transcripts import ReadStats, read_messages, transcript_files, usage_increments
    from agent_analytics.workstation import config as workstation

    root = root.expanduser()
    if not root.is_dir():
        _fail(f"{root} is not a folder: give Claude Code's transcript folder (default ~/.claude/projects)")
    tsdb = _tsdb(data_dir, prometheus_data)
    ws = workstation.load_or_none()
    developer = (developer_id or (ws.developer_id if ws else "") or workstation.git_user_email()).strip()
    if not developer:
        _fail("no developer id: pass --developer-id, run `agent-analytics init`, or set git user.email")
    team_id = team if team is not None else (ws.team_id if ws else "")
    now = math.ceil(time.time())  # a sample scraped within this second counts as before now
    cutoff, why = parse_time(until) if until is not None else now, "--until" if until else "now"
    if until is None:
        live = selector(CLAUDE_COST, developer_id=developer)
        first = _ask_prometheus(
            prometheus,
            lambda prom: first_live_sample(prom, live, now),
            None,
            _default_prometheus(data_dir, prometheus_data),
        )
        if first is not None:
            # The first live value holds the usage of Claude Code's first export interval: leave it to live.
            cutoff, why = first - FIRST_EXPORT_SPAN, "your first live sample, less one export interval"
    if cutoff > newest_allowed():
        cutoff = newest_allowed() // HOUR * HOUR  # a whole hour: the hourly pre-aggregates end there
        why = f"the whole hour {HEAD_AGE_SECONDS // 3600} or more hours ago: Prometheus' head block owns the rest"
    since = now - days * DAY
    files = transcript_files(root)
    stats = ReadStats()
    with progress_bar() as bar:
        task = bar.add_task("Reading transcripts", total=len(files))
        messages = [m for m in read_messages(files, stats, tick=lambda: bar.advance(task)) if since <= m.at < cutoff]
        labels = {"developer_id": developer, "team_id": team_id}
        series = daily_series(usage_increments(messages, labels, stats), cutoff)
        load = bar.add_task("Writing Prometheus blocks", total=1)
        samples = _write(series, tsdb)
        bar.advance(load)
    typer.echo(
        f"{len(messages)} messages from {stats.files} files before {_day(cutoff)} UTC ({why}) as {developer};"
        f" skipped {stats.duplicates} duplicate lines, {stats.bad_lines} unreadable lines, {stats.synthetic} synthetic"
    )
    if stats.unpriced_models:
        typer.echo(f"warning: no price for {', '.join(sorted(stats.unpriced_models))}: tokens kept, cost not", err=True)
    typer.echo(f"Wrote {samples} samples of {len(series)} series into {tsdb}")


KEPT_HELP = ", ".join(f"{name} {days}" for name, days in VENDOR_HISTORY_DAYS.items())


@backfill_app.command("vendor")
def backfill_vendor(
    config: Path = typer.Option(
        None, help="Exporter config naming the vendor sources (anthropic, anthropic_enterprise, cursor, openai)."
    ),
    days: int = typer.Option(
        None, min=1, show_default=False, help=f"How many days back to go (default: what each API keeps: {KEPT_HELP})."
    ),
    data_dir: Path = DATA_DIR,
    prometheus_data: Path = PROMETHEUS_DATA,
    prometheus: str = PROMETHEUS,
    prometheus_alias: str = PROMETHEUS_ALIAS,
    json_output: bool = typer.Option(False, "--json", help="Print what was loaded per source as JSON."),
) -> None:
    """Cost, tokens, requests and activity per developer and day from the vendors' organisation APIs.

    The exporter's vendor series and labels, one sample per series and day at the day's last second.

    Each source stops before the first day the exporter holds for it. Re-running writes identical samples: nothing
    doubles.

    A source whose key is missing or refused is reported in one line; the others still load, and the exit code is 1.
    """
    import json

    from agent_analytics.cli.progress import progress_bar
    from agent_analytics.exporter.config import load_config
    from agent_analytics.exporter.vendors.sources import SOURCES
    from agent_analytics.history.vendor_history import day_of, earliest_sample_queries, load_sources

    prometheus = prometheus or prometheus_alias
    if config is None:
        _fail("pass --config with the exporter's YAML file that configures the vendor sources")
    cfg = load_config(config, check_paths=False)  # a mistake in it: one line naming the file, exit 2
    if not cfg.vendor_configs():
        _fail(f"{config} configures no vendor source: add one of {', '.join(SOURCES)}")
    tsdb = _tsdb(data_dir, prometheus_data)
    now = int(time.time())

    def live_day(name: str) -> date | None:
        found = _ask_prometheus(
            prometheus,
            lambda prom: [row for q in earliest_sample_queries(name) for row in prom.query(q, now)],
            [],
            _default_prometheus(data_dir, prometheus_data),
            ("", "pass --prometheus-url if the exporter already holds days of this source"),
        )
        return day_of(min(t for _, t in found)) if found else None

    live = {name: live_day(name) for name in cfg.vendor_configs()}
    with progress_bar() as bar:

        def reading(what: str, total: int):
            task = bar.add_task(what, total=total)
            return lambda n: bar.advance(task, n)

        loaded = load_sources(cfg, live, day_of(now), newest_allowed(now), days, reading)
        for line in loaded.problems:
            typer.echo(line, err=True)
        load = bar.add_task("Writing Prometheus blocks", total=1)
        samples = _write(loaded.series, tsdb)
        bar.advance(load)
    results, series = loaded.results, loaded.series
    failed = loaded.failed
    if json_output:
        typer.echo(json.dumps({"sources": results, "samples": samples, "tsdb": str(tsdb)}, indent=2))
    else:
        for name, r in results.items():
            if r["status"] == "failed":
                continue
            live = f"; the exporter holds it from {r['live_from']}" if r.get("live_from") else ""
            span = f"{r['first_day']} to {r['last_day']}" if "first_day" in r else "no day left to load"
            typer.echo(f"{name}: {r['days']} days ({span}), {r['samples']} samples{live}")
        typer.echo(f"Wrote {samples} samples of {len(series)} series into {tsdb}")
    if failed:
        _fail(f"{len(failed)} of {len(results)} vendor sources not loaded: {', '.join(failed)}")
