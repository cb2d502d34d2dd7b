"""Commits of local repositories as backfill increments, attributed exactly as the exporter does.

The log reader, the marker table and the identity map are the exporter's own, so a backfilled
commit gets the same repo, developer_id, team_id, agent and evidence labels a live scan gives it.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import git

from agent_analytics.exporter.config import ExporterConfig
from agent_analytics.exporter.git.attribution import load_markers
from agent_analytics.exporter.git.scan import ParsedCommit, stream_log
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.vocabulary.repo_id import repo_id
from agent_analytics.vocabulary.series import GIT_COUNTERS

from .backfill_series import Increment


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
    declared: tuple[str, str] = ("", ""),
) -> list[Increment]:
    """`declared` = the (developer_id, team_id) the author's workstation gives (what its hook sends)."""
    attribution = load_markers().attribute(parsed.author_name, parsed.author_email, parsed.trailers)
    developer_id, team_id = identities.resolve(parsed.author_email, *declared)
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


@dataclass(frozen=True)
class Workstation:
    """Who this machine's hook says it is, applied to commits by that author, as the hook would."""

    emails: frozenset[str]  # lower-cased author e-mails of this developer
    developer_id: str = ""
    team_id: str = ""


@dataclass
class RepoHistory:
    increments: list[Increment]
    backfilled: int  # commits written


def repo_increments(
    repo: git.Repo,
    name: str,
    config: ExporterConfig,
    until: int,
    seen: set[tuple[str, str]],
    me: Workstation | None = None,
    tick: Callable[[], None] = lambda: None,
) -> RepoHistory:
    """Increments of every commit of `repo` made before `until`, labelled as the exporter would.

    `seen` holds (repo, sha) pairs already counted, so two clones of one repository count once.
    """
    identities = IdentityMap(config.identities)
    out = RepoHistory([], 0)
    for parsed in commits(repo):
        tick()
        if parsed.committed_at >= until or (name, parsed.sha) in seen:
            continue
        seen.add((name, parsed.sha))
        mine = me is not None and parsed.author_email.strip().lower() in me.emails
        declared = (me.developer_id, me.team_id) if mine else ("", "")
        out.increments += commit_increments(name, parsed, identities, declared)
        out.backfilled += 1
    return out
