"""`agent-analytics hook ...`: the git post-commit hook that counts commits and their agent."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from agent_analytics.config.errors import RuntimeFailure
from agent_analytics.workstation import doctor_checks, hook_install, hook_sender

hook_app = typer.Typer(
    help="The git post-commit hook: sends each commit (and which agent made it) to the exporter.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


UNREACHABLE_FIX = (
    "start the exporter (`agent-analytics up`, or `docker compose up -d` on the server) or point this"
    " workstation at it with `agent-analytics init --exporter-url URL`, then run `agent-analytics hook flush` again"
)


def _report(change: hook_install.HookChange, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(change.as_dict()))
        return
    lines = {
        "installed": f"post-commit hook installed in {change.hooks_dir}",
        "unchanged": f"post-commit hook already installed in {change.hooks_dir}",
        "removed": f"post-commit hook removed from {change.hooks_dir}",
        "absent": f"no agent-analytics hook in {change.hooks_dir}: nothing to remove",
    }
    typer.echo(lines[change.action])
    if change.shared:
        typer.echo("  (the global hook: git runs it for every repository, this one included)")
    if change.chained:
        verb = "restored" if change.action == "removed" else "kept and called first"
        typer.echo(f"  your existing hook: {change.chained} ({verb})")
    if change.core_hooks_path:
        verb = "unset" if change.action == "removed" else "set to"
        typer.echo(f"  git config --global core.hooksPath {verb} {change.core_hooks_path}")


def _fail(error: Exception) -> None:
    raise RuntimeFailure(str(error))  # one line on stderr, exit 1


@hook_app.command("install")
def install(
    global_: bool = typer.Option(
        False, "--global", help="For every repository of this user (the default when --repo is not given)."
    ),
    repo: Path | None = typer.Option(None, "--repo", help="Only for the git repository at this path."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
) -> None:
    """Install the hook; an existing post-commit hook is kept and still runs. Safe to run again."""
    _change(global_, repo, as_json, hook_install.install_repo, hook_install.install_global)


@hook_app.command("uninstall")
def uninstall(
    global_: bool = typer.Option(False, "--global", help="The global hook (the default when --repo is not given)."),
    repo: Path | None = typer.Option(None, "--repo", help="The hook of the git repository at this path."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
) -> None:
    """Remove the hook and put back the post-commit hook that was there before."""
    _change(global_, repo, as_json, hook_install.uninstall_repo, hook_install.uninstall_global)


def _change(
    global_: bool, repo: Path | None, as_json: bool, for_repo: Callable[[Path], Any], for_global: Callable[[], Any]
) -> None:
    """install/uninstall: one repository's hook with --repo, else the global one."""
    if global_ and repo:
        _fail(ValueError("--global and --repo exclude each other: pick one"))
    try:
        change = for_repo(repo) if repo else for_global()
    except hook_install.HookError as e:
        _fail(e)
    _report(change, as_json)


@hook_app.command("post-commit")
def post_commit() -> None:
    """Record the commit at HEAD and send it, as the installed hook does after each commit (for hook
    managers that call commands rather than install hooks; silent; never fails)."""
    script = hook_install.record_script(sys.executable) + "\nrecord >/dev/null 2>&1\n"
    subprocess.run(["sh", "-c", script], stdin=subprocess.DEVNULL, check=False)


# What the exporter did with a commit, as `hook flush` says it (results of the ingest API).
OUTCOMES = {
    "counted": "counted",
    "counted_at_commit_time": "counted at its commit time (it arrived late)",
    "evidence_added": "counted with this record's evidence (a scan had found it and was waiting for it)",
    "already_counted": "already counted, by a scan or an earlier send; it stays",
    "held": "waiting for the git hook's record",
}


def commit_lines(commits: list[dict]) -> list[str]:
    """One line per commit: short sha, repository, what happened, and the series it counts under."""
    lines = []
    for c in commits:
        labels = c.get("labels") or {}
        evidence = labels.get("evidence", "")
        under = (
            f"agent {labels.get('agent', '?')}, evidence {evidence or 'none'}, team {labels.get('team_id') or '(none)'}"
        )
        what = OUTCOMES.get(c.get("result", ""), c.get("result", "?"))
        lines.append(f"{str(c.get('sha', ''))[:10]} {c.get('repo', '')}: {what} as {under}")
    return lines


@hook_app.command("flush")
def flush(as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON.")) -> None:
    """Send the commits waiting in the spool (kept there while the exporter was unreachable)."""
    result = hook_sender.flush(wait=30.0, timeout=hook_sender.FLUSH_TIMEOUT)
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
    else:
        typer.echo(
            f"sent {result.accepted} commit(s), {result.duplicates} already known, {result.remaining} still spooled"
            + (
                f", {result.rejected} refused as invalid (kept in {hook_sender.spool_dir() / 'rejected'})"
                if result.rejected
                else ""
            )
        )
        for message in result.messages:
            typer.echo(f"  {message}")
        for line in commit_lines(result.commits):
            typer.echo(f"  {line}")
    if result.busy:
        typer.echo("error: another flush is still running: try again in a minute", err=True)
        raise typer.Exit(1)
    if result.error:
        advice = f": {UNREACHABLE_FIX}" if result.unreachable else ""
        typer.echo(f"error: {result.error} ({result.remaining} commit(s) stay spooled){advice}", err=True)
        raise typer.Exit(1)


@hook_app.command("status")
def status(
    repo: Path | None = typer.Option(None, "--repo", help="Also check the hook git runs for this repository."),
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Where the hook is installed, whether it still works, how many commits wait and how the last send went."""
    global_hook = hook_install.installed_hook()
    repo_hook = hook_install.installed_hook(repo) if repo else None
    check = doctor_checks.check_hook(repo or Path.cwd())
    last_send = hook_sender.last_outcome()
    data = {
        "global": str(global_hook) if global_hook else None,
        "repo": str(repo_hook) if repo_hook else None,
        "spooled": len(hook_sender.pending()),
        "spool_dir": str(hook_sender.spool_dir()),
        "retrying": hook_sender.retrying(),
        "hook": check.as_dict(),
        "last_send": last_send or None,
    }
    if as_json:
        typer.echo(json.dumps(data))
    else:
        typer.echo(f"global hook: {data['global'] or 'not installed'}")
        if repo:
            typer.echo(f"hook for {repo}: {data['repo'] or 'not installed'}")
        typer.echo(f"spooled commits: {data['spooled']} ({data['spool_dir']})")
        if data["retrying"]:
            typer.echo("a background sender tries them again until the exporter answers")
        if last_send:
            typer.echo(f"last send: {last_send}")
    if (global_hook or repo_hook) and check.status != doctor_checks.OK:
        typer.echo(f"error: {check.detail}: {check.fix}", err=True)
        raise typer.Exit(1)
