"""Commits of local repositories as backfill increments, attributed exactly as the exporter does.

The log reader, the marker table and the identity map are the exporter's own, so a backfilled
commit gets the same repo, developer_id, team_id, agent and evidence labels a live scan gives it.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import git

from agent_analytics.exporter.attribution import load_markers
from agent_analytics.exporter.config import ExporterConfig
from agent_analytics.exporter.git_scan import ParsedCommit, stream_log
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.repo_id import repo_id

from .backfill_series import Increment

GIT_COUNTERS = {
    "agent_analytics_git_commits_total": lambda c: 1,
    "agent_analytics_git_lines_added_total": lambda c: c.lines_added,
    "agent_analytics_git_lines_deleted_total": lambda c: c.lines_deleted,
    "agent_analytics_git_files_changed_total": lambda c: c.files_changed,
}


class NotARepository(ValueError):
    pass


def open_repo(path: Path) -> tuple[git.Repo, str]:
    try:
        repo = git.Repo(path, search_parent_directories=False)
    except (git.NoSuchPathError, git.InvalidGitRepositoryError):
        raise NotARepository(f"{path} is not a git repository (give the folder that holds .git)") from None
    return repo, repo_id(path)


def commits(repo: git.Repo) -> Iterator[ParsedCommit]:
    if not repo.git.rev_parse("--all").strip():  # no commit yet
        return
    yield from stream_log(repo, [])


def commit_increments(
    repo_name: str,
    parsed: ParsedCommit,
    identities: IdentityMap,
) -> list[Increment]:
    attribution = load_markers().attribute(parsed.author_name, parsed.author_email, parsed.trailers)
    developer_id, team_id = identities.resolve(parsed.author_email)
    labels = tuple(
        sorted(
            {
                "repo": repo_name,
                "developer_id": developer_id,
                "team_id": team_id,
                "agent": attribution.agent,
                "evidence": attribution.evidence,
            }.items()
        )
    )
    return [Increment(parsed.committed_at, name, labels, value(parsed)) for name, value in GIT_COUNTERS.items()]


LIVE_KEY = ("developer_id", "team_id", "agent", "evidence")  # what tells the live series of one repo apart


@dataclass
class RepoHistory:
    increments: list[Increment]
    backfilled: int  # commits written
    held_by_live: int  # commits the live series' first values already hold


def repo_increments(
    repo: git.Repo,
    name: str,
    config: ExporterConfig,
    since: int,
    until: int,
    seen: set[tuple[str, str]],
    live: dict[tuple[str, ...], tuple[float, float]] | None = None,
    tick: Callable[[], None] = lambda: None,
) -> RepoHistory:
    """Increments of the commits of `repo` made in [since, until) that no live series holds yet.

    `live` maps a label key (LIVE_KEY) to the (time, value) of the first sample of its live
    series. That first value counts in full on dashboards, and it holds the key's latest commits
    up to that time (all of history when the exporter scanned the repository, the first commit
    the hook sent otherwise), so those commits are left out: each commit is counted once.
    `seen` holds (repo, sha) pairs already counted, so two clones of one repository count once.
    """
    identities = IdentityMap(config.identities)
    by_key: dict[tuple[str, ...], list[tuple[int, str, list[Increment]]]] = {}
    for parsed in commits(repo):
        tick()
        if parsed.committed_at < since or (name, parsed.sha) in seen:
            continue
        seen.add((name, parsed.sha))
        increments = commit_increments(name, parsed, identities)
        labels = dict(increments[0].labels)
        by_key.setdefault(tuple(labels[k] for k in LIVE_KEY), []).append((parsed.committed_at, parsed.sha, increments))
    out = RepoHistory([], 0, 0)
    for key, found in by_key.items():
        found.sort()
        if key in (live or {}):
            first_time, first_value = live[key]
            before = [c for c in found if c[0] <= first_time]
            keep = before[: max(0, len(before) - int(first_value))]
            out.held_by_live += len(before) - len(keep)
        else:
            keep = [c for c in found if c[0] < until]
        out.backfilled += len(keep)
        for _, _, increments in keep:
            out.increments += increments
    return out
