"""`agent-analytics demo`: a month of realistic history loaded into Prometheus."""

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from agent_analytics.cli.moments import parse_time
from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.history.demo.history import STATE_FILE
from agent_analytics.stack.paths import resolve_tsdb


def demo(
    developers: Annotated[
        int,
        typer.Option(
            min=1, max=500, show_default=False, help="How many developers the organisation has (default: 12)."
        ),
    ] = 12,
    days: Annotated[
        int,
        typer.Option(
            min=1, max=365, show_default=False, help="Days of history, ending now, on the first run (default: 30)."
        ),
    ] = 30,
    seed: Annotated[
        int,
        typer.Option(
            show_default=False,
            help="Random seed: the same seed, size and end time give the same history (default: 1).",
        ),
    ] = 1,
    end: Annotated[
        str | None,
        typer.Option(
            help="End of the history (unix seconds or ISO time; default: 4 hours ago, also the latest allowed)."
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Data folder of `agent-analytics up` (default: the user data folder); blocks go to its prometheus/."
        ),
    ] = None,
    prometheus_data: Annotated[
        Path | None,
        typer.Option(help="A Prometheus TSDB folder (its --storage.tsdb.path) to write into instead of --data-dir."),
    ] = None,
) -> None:
    """Write realistic multi-team history (Claude Code, Gemini CLI, Codex, Cursor, git, Copilot, vendor APIs, budgets).

    Exactly the names and labels of live data: every dashboard and `report` show a month at once.

    Run it again later and the history continues from where it stopped (same --seed and --developers).

    A running Prometheus picks the new blocks up within a minute; its retention must be longer than the history.

    History ends 4 hours ago at the latest: Prometheus' head block owns the last hours, and data written there
    would cost live data.
    """
    from agent_analytics.cli.progress import progress_bar
    from agent_analytics.history.demo.generate import DemoState, generate  # heavy (price table): loaded only when used
    from agent_analytics.history.demo.organisation import cast
    from agent_analytics.history.hourly_backfill import write_history
    from agent_analytics.history.tsdb_blocks import BlockError, check_tsdb_dir, newest_allowed
    from agent_analytics.vocabulary.hourly import kept_labels

    tsdb = resolve_tsdb(data_dir, prometheus_data)
    try:
        check_tsdb_dir(tsdb)
    except BlockError as e:
        _fail(str(e))
    # on a whole hour: the hourly pre-aggregates cover whole hours
    end_at = min(parse_time(end) if end is not None else int(time.time()), newest_allowed()) // 3600 * 3600
    state_file = tsdb / STATE_FILE
    resume = None
    if state_file.exists():
        try:
            resume = DemoState.from_json(state_file.read_text())
        except (OSError, ValueError, TypeError) as e:
            _fail(f"{state_file} is unreadable ({e}): delete it only together with the demo data in {tsdb}")
        if (resume.seed, resume.developers) != (seed, developers):
            _fail(
                f"{tsdb} already holds demo history of seed {resume.seed} with {resume.developers} developers:"
                f" run demo with --seed {resume.seed} --developers {resume.developers} to extend it,"
                " or give another --data-dir"
            )
        if end_at <= resume.end:
            typer.echo(f"Demo history in {tsdb} already reaches {_when(resume.end)} UTC: nothing to write")
            return
    start = resume.end if resume else end_at - days * 86400
    with progress_bar() as bar:
        task = bar.add_task("Generating history", total=-(-(end_at - start) // 3600) + 1)
        history = generate(
            developers, days, seed=seed, end=end_at, progress=lambda n: bar.advance(task, n), resume=resume
        )
        series = history.series()
        load = bar.add_task("Writing Prometheus blocks and hourly series", total=len(kept_labels()))
        try:
            written = write_history(
                series, tsdb, continues=resume.end if resume else None, tick=lambda: bar.advance(load)
            )
        except BlockError as e:
            _fail(str(e))
        samples, blocks = written.samples, written.blocks
    # Written after the blocks: the next run continues these counters instead of starting a second history.
    scratch = state_file.with_suffix(".tmp")
    scratch.write_text(history.state(seed).to_json())
    scratch.replace(state_file)
    teams = len({d.team_id for d in history.developers})
    outsiders = cast(seed, history.developers).not_onboarded
    how = "continued" if resume else "wrote"
    typer.echo(
        f"{how.capitalize()} demo history: {samples} samples of {len(series)} series and {written.hourly_samples}"
        f" hourly pre-aggregated samples ({developers} developers in"
        f" {teams} teams, {_when(history.start)} to {_when(history.end)} UTC) as {len(blocks)} block(s) into {tsdb}"
    )
    typer.echo(
        f"The {developers} developers send telemetry and commit with the git hook; {len(outsiders)} more people"
        f" ({', '.join(d.developer_id for d in outsiders)}) use Claude Code, Cursor or Codex but never ran `init`:"
        " only the vendors' APIs know them, so `report` counts them among the people active with an agent and"
        " lists them under rollout coverage."
    )
    typer.echo(
        "A running Prometheus loads new blocks within a minute (a stopped one at its next start):"
        " `report` and the dashboards show them from then on."
    )


def _when(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def _fail(message: str) -> None:
    raise RuntimeFailure(str(message))  # one line on stderr, exit 1
