"""`agent-analytics demo`: a month of realistic history loaded into Prometheus."""

from datetime import UTC, datetime
from pathlib import Path

import typer

from agent_analytics.cli.moments import parse_time
from agent_analytics.cli.stack_paths import resolve_tsdb


def demo(
    developers: int = typer.Option(12, min=1, max=500, help="How many developers the organisation has."),
    days: int = typer.Option(30, min=1, max=365, help="Days of history, ending now."),
    seed: int = typer.Option(1, help="Random seed: the same seed, size and end time give the same history."),
    end: str = typer.Option(None, help="End of the history (unix seconds or ISO time; default: now)."),
    data_dir: Path = typer.Option(
        None, help="Data folder of `agent-analytics up` (default: the user data folder); blocks go to its prometheus/."
    ),
    prometheus_data: Path = typer.Option(
        None, help="A Prometheus TSDB folder (its --storage.tsdb.path) to write into instead of --data-dir."
    ),
) -> None:
    """Write realistic multi-team history (Claude Code, git, Copilot, budgets) into Prometheus.

    Exactly the names and labels of live data: every dashboard and `report` show a month at once.

    A running Prometheus picks the new blocks up within a minute; its retention must be longer than the history.
    """
    from agent_analytics.cli.demo_data import generate  # heavy (price table): loaded only when used
    from agent_analytics.cli.progress import progress_bar
    from agent_analytics.cli.tsdb_blocks import BlockError, write_blocks

    tsdb = resolve_tsdb(data_dir, prometheus_data)
    with progress_bar() as bar:
        task = bar.add_task("Generating history", total=days * 24 + 1)
        history = generate(
            developers,
            days,
            seed=seed,
            end=parse_time(end) if end is not None else None,
            progress=lambda n: bar.advance(task, n),
        )
        series = history.series()
        load = bar.add_task("Writing Prometheus blocks", total=1)
        try:
            samples, blocks = write_blocks(series, tsdb)
        except BlockError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from None
        bar.advance(load)
    teams = len({d.team_id for d in history.developers})
    first = datetime.fromtimestamp(history.start, UTC).strftime("%Y-%m-%d %H:%M")
    last = datetime.fromtimestamp(history.end, UTC).strftime("%Y-%m-%d %H:%M")
    typer.echo(
        f"Wrote {samples} samples of {len(series)} series ({developers} developers in {teams} teams,"
        f" {first} to {last} UTC) as {len(blocks)} block(s) into {tsdb}"
    )


def register(app: typer.Typer) -> None:
    app.command()(demo)
