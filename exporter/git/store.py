"""Every commit the exporter knows, once per (repo, sha), persisted in SQLite under the data dir.

Each commit takes one route, decided once and stored with it (so a restart changes nothing):

* `live`: made at most LIVE_LAG_SECONDS before it arrived, and not before the repository's live
  start (its first sighting, kept in `repos`). The scraped git counters are sums over these.
* `history`: everything else (history a repository brings when it is added, a commit delivered
  late). Staged in `past_counters` and written into Prometheus at the commit's own time.
* `held`: a scan found a commit of an author whose workstation runs the git hook, made while the
  exporter was down (between its last sign of life and this start), so the hook's record may
  still sit in a spool. Nothing counts it yet, so
  the hook's record, the richest one (session evidence, the workstation's team), can still set
  its labels; after `hook_wait_seconds` it is counted at its commit time with what the scan saw.

A counted commit never moves to another series: a counter that went down reads as a reset.
"""

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from agent_analytics.exporter.git.attribution import MarkerTable
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.vocabulary.series import GIT_COUNTERS, HISTORY_LABELS
from agent_analytics.wire import past_counters

LabelKey = tuple[str, str, str, str, str]  # repo, developer_id, team_id, agent, evidence
LABELS = ("repo", "developer_id", "team_id", "agent", "evidence")
LIVE_LAG_SECONDS = 300  # a commit this fresh still counts where it belongs when the counter rises now
# What happened to a commit a caller handed in (the hook's flush reports these per commit).
COUNTED, COUNTED_AT_ITS_TIME, EVIDENCE_ADDED, ALREADY_COUNTED, HELD = (
    "counted",
    "counted_at_commit_time",
    "evidence_added",
    "already_counted",
    "held",
)


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
CREATE TABLE IF NOT EXISTS repos (repo TEXT PRIMARY KEY, live_start INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alive (id INTEGER PRIMARY KEY CHECK (id = 0), at INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Outcome:
    repo: str
    sha: str
    result: str  # COUNTED, COUNTED_AT_ITS_TIME, EVIDENCE_ADDED, ALREADY_COUNTED or HELD
    labels: dict[str, str]  # the series it counts under


class CommitStore:
    def __init__(self, data_dir: Path, identities: IdentityMap, hook_wait_seconds: float = 86400.0):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "commits.sqlite3"
        self.identities = identities
        self.hook_wait_seconds = hook_wait_seconds
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
        if "route" not in columns:  # a store from before routes: all it holds was counted live
            self._db.execute("ALTER TABLE commits ADD COLUMN route TEXT NOT NULL DEFAULT 'live'")
            self._db.execute("ALTER TABLE commits ADD COLUMN seen_at INTEGER NOT NULL DEFAULT 0")
        past_counters.create_tables(self._db)
        started = int(time.time())
        last_alive = self._db.execute("SELECT at FROM alive").fetchone()
        # Commits made in this span may sit in a hook's spool: the exporter could not take them.
        self._down = (last_alive[0] - LIVE_LAG_SECONDS, started + LIVE_LAG_SECONDS) if last_alive else None
        self._mark_alive(started)
        self._known: dict[str, set[str]] = {}
        self._held: set[tuple[str, str]] = set()
        self._hook_authors: set[str] = set()
        self._live_start: dict[str, int] = dict(self._db.execute("SELECT repo, live_start FROM repos"))
        self._totals: dict[LabelKey, Totals] = {}
        self._last_commit: dict[str, int] = {}
        self._load()

    def _load(self) -> None:
        for repo, sha in self._db.execute("SELECT repo, sha FROM commits"):
            self._known.setdefault(repo, set()).add(sha)
        self._held = set(self._db.execute("SELECT repo, sha FROM commits WHERE route = 'held'"))
        self._hook_authors = {
            e for (e,) in self._db.execute("SELECT DISTINCT author_email FROM commits WHERE source = 'hook'")
        }
        rows = self._db.execute(
            "SELECT repo, author_email, agent, evidence, declared_developer_id, declared_team_id, COUNT(*),"
            " SUM(lines_added), SUM(lines_deleted), SUM(files_changed) FROM commits WHERE route = 'live'"
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
        outcomes = self.record(commits, scan_tips)
        duplicates = sum(o.result == ALREADY_COUNTED for o in outcomes)
        return len(outcomes) - duplicates, duplicates

    def record(
        self, commits: Iterable[Commit], scan_tips: tuple[str, list[str]] | None = None, now: float | None = None
    ) -> list[Outcome]:
        """Store and route commits in one transaction; what happened to each, in order."""
        now = int(time.time() if now is None else now)
        with self._lock:
            outcomes: list[Outcome] = []
            batch_seen: set[tuple[str, str]] = set()
            counted: list[Commit] = []
            history: list[Commit] = []
            self._db.execute("BEGIN")
            try:
                for c in commits:
                    ident = (c.repo, c.sha)
                    live_start = self._repo_live_start(c.repo, now)
                    if ident in batch_seen or (
                        c.sha in self._known.get(c.repo, ()) and not (c.source == "hook" and ident in self._held)
                    ):
                        outcomes.append(Outcome(c.repo, c.sha, ALREADY_COUNTED, self._stored_labels(c.repo, c.sha)))
                        continue
                    batch_seen.add(ident)
                    upgrade = ident in self._held
                    if c.source == "scan" and self._may_be_spooled(c, live_start):
                        route, result = "held", HELD
                    elif c.committed_at >= live_start and now - c.committed_at <= LIVE_LAG_SECONDS:
                        route, result = "live", COUNTED
                    else:
                        route, result = "history", COUNTED_AT_ITS_TIME
                    if upgrade:
                        self._db.execute("DELETE FROM commits WHERE repo = ? AND sha = ?", ident)
                        result = EVIDENCE_ADDED
                    self._db.execute("INSERT INTO commits VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                        c.repo, c.sha, c.author_email, c.agent, c.evidence, c.lines_added, c.lines_deleted,
                        c.files_changed, c.committed_at, c.session_id, c.source, c.declared_developer_id,
                        c.declared_team_id, route, now,
                    ))  # fmt: skip
                    if route == "live":
                        counted.append(c)
                    elif route == "history":
                        history.append(c)
                    outcomes.append(Outcome(c.repo, c.sha, result, self._labels(c)))
                past_counters.stage(self._db, self._increments(history))
                self._mark_alive(now)
                if scan_tips is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO scan_state VALUES (?, ?)", (scan_tips[0], "\n".join(scan_tips[1]))
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._live_start = dict(self._db.execute("SELECT repo, live_start FROM repos"))
                raise
            for o in outcomes:
                if o.result == ALREADY_COUNTED:
                    continue
                self._known.setdefault(o.repo, set()).add(o.sha)
                if o.result == HELD:
                    self._held.add((o.repo, o.sha))
                else:
                    self._held.discard((o.repo, o.sha))
            for c in [*counted, *history]:
                if c.source == "hook":
                    self._hook_authors.add(c.author_email)
            for c in counted:
                self._count(c)
            for c in [*counted, *history]:
                if c.committed_at > self._last_commit.get(c.repo, -1):
                    self._last_commit[c.repo] = c.committed_at
            return outcomes

    def _may_be_spooled(self, c: Commit, live_start: int) -> bool:
        return (
            self._down is not None
            and c.author_email in self._hook_authors
            and max(live_start, self._down[0]) <= c.committed_at <= self._down[1]
        )

    def _mark_alive(self, now: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO alive VALUES (0, ?)", (now,))

    def _repo_live_start(self, repo: str, now: int) -> int:
        """When counting of the repository began (its first sighting, less the live lag); set once."""
        start = self._live_start.get(repo)
        if start is None:
            start = self._live_start[repo] = now - LIVE_LAG_SECONDS
            self._db.execute("INSERT OR IGNORE INTO repos VALUES (?, ?)", (repo, start))
        return start

    def _labels(self, c: Commit) -> dict[str, str]:
        key = self._key(c.repo, c.author_email, c.agent, c.evidence, c.declared_developer_id, c.declared_team_id)
        return dict(zip(LABELS, key, strict=True))

    def _stored_labels(self, repo: str, sha: str) -> dict[str, str]:
        row = self._db.execute(
            "SELECT author_email, agent, evidence, declared_developer_id, declared_team_id FROM commits"
            " WHERE repo = ? AND sha = ?",
            (repo, sha),
        ).fetchone()
        return dict(zip(LABELS, self._key(repo, *row), strict=True)) if row else {}

    def _increments(self, commits: Iterable[Commit]) -> list[past_counters.PastIncrement]:
        out = []
        for c in commits:
            labels = tuple(sorted({**self._labels(c), **HISTORY_LABELS}.items()))
            out += [past_counters.PastIncrement(name, labels, c.committed_at, f(c)) for name, f in GIT_COUNTERS.items()]
        return out

    def _count(self, c: Commit) -> None:
        key = self._key(c.repo, c.author_email, c.agent, c.evidence, c.declared_developer_id, c.declared_team_id)
        t = self._totals.setdefault(key, Totals())
        t.commits += 1
        t.lines_added += c.lines_added
        t.lines_deleted += c.lines_deleted
        t.files_changed += c.files_changed

    def release_held(self, now: float | None = None) -> int:
        """Count commits held longer than hook_wait_seconds, at their commit times, as the scan saw them."""
        now = int(time.time() if now is None else now)
        with self._lock:
            self._mark_alive(now)
            rows = self._db.execute(
                "SELECT repo, sha, author_email, agent, evidence, lines_added, lines_deleted, files_changed,"
                " committed_at, session_id, source, declared_developer_id, declared_team_id FROM commits"
                " WHERE route = 'held' AND seen_at <= ?",
                (now - self.hook_wait_seconds,),
            ).fetchall()
            if not rows:
                return 0
            released = [Commit(*row) for row in rows]
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "UPDATE commits SET route = 'history' WHERE repo = ? AND sha = ?",
                    [(c.repo, c.sha) for c in released],
                )
                past_counters.stage(self._db, self._increments(released))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._held -= {(c.repo, c.sha) for c in released}
            return len(released)

    def push_history(self, prometheus_url: str, now: float | None = None) -> past_counters.PushResult:
        """Write staged history into Prometheus (RemoteWriteError keeps it staged for the next try)."""
        return past_counters.push(self._db, prometheus_url, self._lock, now)

    def history_pending(self) -> int:
        with self._lock:
            return past_counters.pending_count(self._db)

    def live_starts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._live_start)

    def commit_count(self) -> int:
        """Every commit stored, whatever its route."""
        with self._lock:
            return sum(len(shas) for shas in self._known.values())

    def held_count(self) -> int:
        with self._lock:
            return len(self._held)

    def scan_tips(self, repo: str) -> list[str]:
        with self._lock:
            row = self._db.execute("SELECT tips FROM scan_state WHERE repo = ?", (repo,)).fetchone()
        return row[0].split("\n") if row and row[0] else []

    def totals(self) -> dict[LabelKey, Totals]:
        with self._lock:
            return {k: Totals(**vars(v)) for k, v in self._totals.items()}

    def session_commits(self) -> list[tuple[str, str, str, int, dict[str, str]]]:
        """(repo, sha, session id, commit time, series labels) of every commit made in a known agent session."""
        with self._lock:
            rows = self._db.execute(
                "SELECT repo, sha, session_id, committed_at, author_email, agent, evidence, declared_developer_id,"
                " declared_team_id FROM commits WHERE session_id IS NOT NULL AND session_id != ''"
            ).fetchall()
            return [
                (r, s, sid, at, dict(zip(LABELS, self._key(r, *rest), strict=True))) for r, s, sid, at, *rest in rows
            ]

    def last_commit_timestamps(self) -> dict[str, int]:
        with self._lock:
            return dict(self._last_commit)

    def close(self) -> None:
        with self._lock:
            self._db.close()
