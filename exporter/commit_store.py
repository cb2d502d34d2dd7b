"""Every commit the exporter knows, once per (repo, sha), persisted in SQLite under the data dir.

The git counters are sums over this table, so they are all-time totals derived from history:
a restart reloads the same sums (no false reset), and a commit seen by both the git hook and a
repository scan counts once. The first sighting decides a commit's attribution; later ones never
move it to another series, because a Prometheus counter that went down would read as a reset.
"""

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .attribution import MarkerTable
from .identity import IdentityMap

LabelKey = tuple[str, str, str, str, str]  # repo, developer_id, team_id, agent, evidence


@dataclass(frozen=True)
class Commit:
    repo: str
    sha: str
    author_email: str
    agent: str
    evidence: str
    lines_added: int
    lines_deleted: int
    files_changed: int
    committed_at: int
    session_id: str | None = None
    source: str = "scan"  # "scan" or "hook"
    declared_developer_id: str = ""  # what the author's workstation says (hook only)
    declared_team_id: str = ""

    @classmethod
    def attributed(
        cls, markers: MarkerTable, repo: str, facts, agent_env: dict[str, str] | None = None, source: str = "scan"
    ) -> "Commit":
        """A commit as the scan or the hook reports it (`facts`: sha, author, trailers, numstat
        totals, committed_at), with its agent and evidence from the marker table."""
        a = markers.attribute(facts.author_name, facts.author_email, facts.trailers, agent_env)
        session = (agent_env or {}).get("CLAUDE_CODE_SESSION_ID") if a.evidence == "session" else None
        return cls(
            repo=repo,
            sha=facts.sha,
            author_email=facts.author_email.lower(),
            agent=a.agent,
            evidence=a.evidence,
            lines_added=facts.lines_added,
            lines_deleted=facts.lines_deleted,
            files_changed=facts.files_changed,
            committed_at=facts.committed_at,
            session_id=session,
            source=source,
            declared_developer_id=getattr(facts, "developer_id", None) or "",
            declared_team_id=getattr(facts, "team_id", None) or "",
        )


@dataclass
class Totals:
    commits: int = 0
    lines_added: int = 0
    lines_deleted: int = 0
    files_changed: int = 0


_SCHEMA = """
CREATE TABLE IF NOT EXISTS commits (
    repo TEXT NOT NULL, sha TEXT NOT NULL, author_email TEXT NOT NULL,
    agent TEXT NOT NULL, evidence TEXT NOT NULL,
    lines_added INTEGER NOT NULL, lines_deleted INTEGER NOT NULL, files_changed INTEGER NOT NULL,
    committed_at INTEGER NOT NULL, session_id TEXT, source TEXT NOT NULL,
    declared_developer_id TEXT NOT NULL DEFAULT '', declared_team_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (repo, sha)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scan_state (repo TEXT PRIMARY KEY, tips TEXT NOT NULL);
"""


class CommitStore:
    def __init__(self, data_dir: Path, identities: IdentityMap):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "commits.sqlite3"
        self.identities = identities
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (not only handed to the OS) before the hook is answered,
        # so a power cut loses no acknowledged commit either
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(commits)")}
        for name in ("declared_developer_id", "declared_team_id"):
            if name not in columns:  # a store written before the hook sent the workstation's ids
                self._db.execute(f"ALTER TABLE commits ADD COLUMN {name} TEXT NOT NULL DEFAULT ''")
        self._known: dict[str, set[str]] = {}
        self._totals: dict[LabelKey, Totals] = {}
        self._last_commit: dict[str, int] = {}
        self._load()

    def _load(self) -> None:
        for repo, sha in self._db.execute("SELECT repo, sha FROM commits"):
            self._known.setdefault(repo, set()).add(sha)
        rows = self._db.execute(
            "SELECT repo, author_email, agent, evidence, declared_developer_id, declared_team_id, COUNT(*),"
            " SUM(lines_added), SUM(lines_deleted), SUM(files_changed) FROM commits"
            " GROUP BY repo, author_email, agent, evidence, declared_developer_id, declared_team_id"
        )
        for repo, email, agent, evidence, dev, team, n, added, deleted, files in rows:
            t = self._totals.setdefault(self._key(repo, email, agent, evidence, dev, team), Totals())
            t.commits += n
            t.lines_added += added
            t.lines_deleted += deleted
            t.files_changed += files
        for repo, ts in self._db.execute("SELECT repo, MAX(committed_at) FROM commits GROUP BY repo"):
            self._last_commit[repo] = ts

    def _key(self, repo: str, email: str, agent: str, evidence: str, dev: str = "", team: str = "") -> LabelKey:
        developer_id, team_id = self.identities.resolve(email, dev, team)
        return (repo, developer_id, team_id, agent, evidence)

    def known(self, repo: str, sha: str) -> bool:
        return sha in self._known.get(repo, ())

    def add(self, commits: Iterable[Commit], scan_tips: tuple[str, list[str]] | None = None) -> tuple[int, int]:
        """Store new commits; returns (accepted, duplicates). `scan_tips` = (repo, tips) saved atomically."""
        with self._lock:
            fresh: list[Commit] = []
            duplicates = 0
            batch_seen: set[tuple[str, str]] = set()
            for c in commits:
                if c.sha in self._known.get(c.repo, ()) or (c.repo, c.sha) in batch_seen:
                    duplicates += 1
                    continue
                batch_seen.add((c.repo, c.sha))
                fresh.append(c)
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO commits VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            c.repo,
                            c.sha,
                            c.author_email,
                            c.agent,
                            c.evidence,
                            c.lines_added,
                            c.lines_deleted,
                            c.files_changed,
                            c.committed_at,
                            c.session_id,
                            c.source,
                            c.declared_developer_id,
                            c.declared_team_id,
                        )
                        for c in fresh
                    ],
                )
                if scan_tips is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO scan_state VALUES (?, ?)", (scan_tips[0], "\n".join(scan_tips[1]))
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            for c in fresh:
                self._known.setdefault(c.repo, set()).add(c.sha)
                key = self._key(
                    c.repo, c.author_email, c.agent, c.evidence, c.declared_developer_id, c.declared_team_id
                )
                t = self._totals.setdefault(key, Totals())
                t.commits += 1
                t.lines_added += c.lines_added
                t.lines_deleted += c.lines_deleted
                t.files_changed += c.files_changed
                if c.committed_at > self._last_commit.get(c.repo, -1):
                    self._last_commit[c.repo] = c.committed_at
            return len(fresh), duplicates

    def scan_tips(self, repo: str) -> list[str]:
        with self._lock:
            row = self._db.execute("SELECT tips FROM scan_state WHERE repo = ?", (repo,)).fetchone()
        return row[0].split("\n") if row and row[0] else []

    def totals(self) -> dict[LabelKey, Totals]:
        with self._lock:
            return {k: Totals(**vars(v)) for k, v in self._totals.items()}

    def last_commit_timestamps(self) -> dict[str, int]:
        with self._lock:
            return dict(self._last_commit)

    def close(self) -> None:
        with self._lock:
            self._db.close()
