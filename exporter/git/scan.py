"""Scans a repository with one streamed `git log` and stores the commits it has not seen yet.

One `git log --numstat` over all refs, run through gitpython's git command interface and read
as a stream: memory stays flat whatever the history size. Incremental: the refs' tips of the
last scan are excluded (`^tip` on stdin), so a rescan reads only new commits; the store drops
any commit it already has, so nothing is counted twice even when histories are rewritten.
"""

import codecs
import contextlib
import logging
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import git

from agent_analytics.exporter.git.attribution import MarkerTable
from agent_analytics.exporter.git.store import Commit, CommitStore
from agent_analytics.vocabulary.repo_id import repo_id

log = logging.getLogger(__name__)

# %aN/%aE honour .mailmap. Records start with RS (\x1e); fields end with US (\x1f); the numstat
# lines of the commit follow the last field.
LOG_FORMAT = "%x1e%H%x1f%aN%x1f%aE%x1f%ct%x1f%(trailers:only,unfold)%x1f"
CHUNK = 1 << 16
# Every branch, tag, remote-tracking branch and HEAD; not the stash, notes or filter-branch
# backups, whose commits are bookkeeping, not work.
REFS = ("--exclude=refs/stash", "--exclude=refs/notes/*", "--exclude=refs/original/*", "--all")
BATCH = 5000


@dataclass(frozen=True)
class ParsedCommit:
    sha: str
    author_name: str
    author_email: str
    committed_at: int
    trailers: list[str]
    lines_added: int
    lines_deleted: int
    files_changed: int


class ScanCancelled(Exception):
    """The exporter is stopping; what was stored stays, the next scan reads the rest."""


@dataclass
class ScanResult:
    repo: str
    new_commits: int
    seen_commits: int
    seconds: float


def parse_record(record: str) -> ParsedCommit:
    sha, name, email, ct, trailers, numstat = record.split("\x1f", 5)
    added = deleted = files = 0
    for line in numstat.split("\n"):
        if not line:
            continue
        a, d, _ = line.split("\t", 2)
        files += 1
        if a != "-":  # binary files have "-" for both
            added += int(a)
            deleted += int(d)
    return ParsedCommit(
        sha=sha,
        author_name=name,
        author_email=email,
        committed_at=int(ct),
        trailers=[t for t in trailers.split("\n") if t],
        lines_added=added,
        lines_deleted=deleted,
        files_changed=files,
    )


def stream_log(repo: git.Repo, exclude: list[str]) -> Iterator[ParsedCommit]:
    """Every commit reachable from any ref and not from `exclude`, newest first, as a stream."""
    proc = repo.git.log(
        *REFS,
        "--numstat",
        "--no-color",
        "--no-show-signature",
        f"--format={LOG_FORMAT}",
        "--stdin",
        as_process=True,
        istream=subprocess.PIPE,
    )
    # The process object gitpython hands back for streaming (`as_process`): its pipes and wait().
    proc.stdin.write("".join(f"^{sha}\n" for sha in exclude).encode())
    proc.stdin.close()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    try:
        while True:
            chunk = proc.stdout.read(CHUNK)
            if not chunk:
                break
            pending += decoder.decode(chunk)
            records = pending.split("\x1e")
            pending = records.pop()
            for record in records:
                if record:
                    yield parse_record(record)
        pending += decoder.decode(b"", final=True)
        if pending:
            yield parse_record(pending)
    except BaseException:  # the reader stopped early (or failed): git's exit status is moot then
        proc.stdout.close()
        with contextlib.suppress(git.GitCommandError):
            proc.wait()
        raise
    proc.stdout.close()
    proc.wait()  # raises GitCommandError with git's stderr when the log failed


def ref_tips(repo: git.Repo) -> list[str]:
    out = repo.git.rev_parse(*REFS)
    return sorted({line for line in out.split("\n") if line})


class RepoScanner:
    def __init__(self, path: Path, store: CommitStore, markers: MarkerTable, stop: threading.Event | None = None):
        self.path = Path(path)
        self.store = store
        self.markers = markers
        self.repo_name = repo_id(self.path)
        self.stop = stop

    def scan(self) -> ScanResult:
        started = time.monotonic()
        repo = git.Repo(self.path)
        try:
            tips = ref_tips(repo)
            if not tips:
                return ScanResult(self.repo_name, 0, 0, time.monotonic() - started)
            previous = self.store.scan_tips(self.repo_name)
            try:
                new, seen = self._read(repo, previous)
            except git.GitCommandError as e:
                if not previous:
                    raise
                # A tip of the last scan is gone (history rewritten, gc): read everything again;
                # the store keeps each commit once.
                log.info("%s: full rescan (%s)", self.repo_name, str(e.stderr).strip()[:200])
                new, seen = self._read(repo, [])
            self.store.add([], scan_tips=(self.repo_name, tips))
            return ScanResult(self.repo_name, new, seen, time.monotonic() - started)
        finally:
            repo.close()

    def _read(self, repo: git.Repo, exclude: list[str]) -> tuple[int, int]:
        new = seen = 0
        batch: list[Commit] = []
        for p in stream_log(repo, exclude):
            seen += 1
            if self.store.known(self.repo_name, p.sha):
                continue
            batch.append(Commit.attributed(self.markers, self.repo_name, p))
            if len(batch) >= BATCH:
                new += self.store.add(batch)[0]
                batch = []
                if self.stop is not None and self.stop.is_set():
                    raise ScanCancelled(self.repo_name)
        new += self.store.add(batch)[0]
        return new, seen
