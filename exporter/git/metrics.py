"""The git series, read from the commit store at scrape time (exact totals, never incremented twice)."""

from collections.abc import Iterator

from prometheus_client.registry import Collector

from agent_analytics.exporter.git.store import CommitStore
from agent_analytics.vocabulary import series as s
from agent_analytics.vocabulary.series import GIT_COUNTERS


class ScanStats:
    """What the scanner reports about each repository (scan time, duration, errors)."""

    def __init__(self) -> None:
        self.last_scan: dict[str, float] = {}
        self.duration: dict[str, float] = {}
        self.errors: dict[str, int] = {}
        self.history_errors = 0


class GitExposition(Collector):
    def __init__(self, store: CommitStore, stats: ScanStats):
        self.store = store
        self.stats = stats

    def collect(self) -> Iterator:
        counters = {name: name.family() for name in GIT_COUNTERS}
        fields = {s.GIT_COMMITS: "commits", s.GIT_LINES_ADDED: "lines_added"}
        fields |= {s.GIT_LINES_DELETED: "lines_deleted", s.GIT_FILES_CHANGED: "files_changed"}
        for key, totals in sorted(self.store.totals().items()):
            for name, family in counters.items():
                family.add_metric(list(key), getattr(totals, fields[name]))
        yield from counters.values()
        last = s.GIT_LAST_COMMIT.family()
        for repo, ts in sorted(self.store.last_commit_timestamps().items()):
            last.add_metric([repo], ts)
        yield last
        scanned, duration, errors = s.GIT_LAST_SCAN.family(), s.GIT_SCAN_DURATION.family(), s.GIT_SCAN_ERRORS.family()
        for repo, ts in sorted(self.stats.last_scan.items()):
            scanned.add_metric([repo], ts)
        for repo, seconds in sorted(self.stats.duration.items()):
            duration.add_metric([repo], seconds)
        for repo, n in sorted(self.stats.errors.items()):
            errors.add_metric([repo], n)
        yield from (scanned, duration, errors)
        live_start = s.GIT_LIVE_START.family()
        for repo, ts in sorted(self.store.live_starts().items()):
            live_start.add_metric([repo], ts)
        yield live_start
        yield s.GIT_HELD_COMMITS.family(value=self.store.held_count())
        yield s.HISTORY_PENDING.family(value=self.store.history_pending())
        yield s.HISTORY_WRITE_ERRORS.family(value=self.stats.history_errors)
