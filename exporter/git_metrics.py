"""The git series, read from the commit store at scrape time (exact totals, never incremented twice)."""

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .commit_store import CommitStore

GIT_LABELS = ["repo", "developer_id", "team_id", "agent", "evidence"]


class ScanStats:
    """What the scanner reports about each repository (scan time, duration, errors)."""

    def __init__(self) -> None:
        self.last_scan: dict[str, float] = {}
        self.duration: dict[str, float] = {}
        self.errors: dict[str, int] = {}
        self.history_errors = 0


class GitCollector(Collector):
    def __init__(self, store: CommitStore, stats: ScanStats):
        self.store = store
        self.stats = stats

    def collect(self) -> Iterator:
        families = {
            field: CounterMetricFamily(f"agent_analytics_git_{field}", help_text, labels=GIT_LABELS)
            for field, help_text in (
                ("commits", "Commits, each (repo, sha) once, by attributed agent and evidence."),
                ("lines_added", "Lines added by these commits (git --numstat)."),
                ("lines_deleted", "Lines deleted by these commits (git --numstat)."),
                ("files_changed", "Files changed by these commits (git --numstat)."),
            )
        }
        for key, totals in sorted(self.store.totals().items()):
            for field, family in families.items():
                family.add_metric(list(key), getattr(totals, field))
        yield from families.values()

        last = GaugeMetricFamily(
            "agent_analytics_git_last_commit_timestamp_seconds",
            "Commit time of the newest known commit of the repository.",
            labels=["repo"],
        )
        for repo, ts in sorted(self.store.last_commit_timestamps().items()):
            last.add_metric([repo], ts)
        yield last

        scanned = GaugeMetricFamily(
            "agent_analytics_git_last_scan_timestamp_seconds",
            "When the last successful scan of the repository finished.",
            labels=["repo"],
        )
        duration = GaugeMetricFamily(
            "agent_analytics_git_scan_duration_seconds", "Duration of the last scan of the repository.", labels=["repo"]
        )
        errors = CounterMetricFamily(
            "agent_analytics_git_scan_errors", "Scans of the repository that failed.", labels=["repo"]
        )
        for repo, ts in sorted(self.stats.last_scan.items()):
            scanned.add_metric([repo], ts)
        for repo, seconds in sorted(self.stats.duration.items()):
            duration.add_metric([repo], seconds)
        for repo, n in sorted(self.stats.errors.items()):
            errors.add_metric([repo], n)
        yield from (scanned, duration, errors)

        live_start = GaugeMetricFamily(
            "agent_analytics_git_live_start_timestamp_seconds",
            "Commits made from this time on count in the live counters; earlier ones are written as history.",
            labels=["repo"],
        )
        for repo, ts in sorted(self.store.live_starts().items()):
            live_start.add_metric([repo], ts)
        yield live_start
        yield GaugeMetricFamily(
            "agent_analytics_git_held_commits",
            "Commits a scan found that wait for the git hook's record (hook_wait_seconds).",
            value=self.store.held_count(),
        )
        yield GaugeMetricFamily(
            "agent_analytics_history_pending_increments",
            "History increments not yet written into Prometheus (prometheus_url unset or unreachable).",
            value=self.store.history_pending(),
        )
        yield CounterMetricFamily(
            "agent_analytics_history_write_errors",
            "Attempts to write history into Prometheus that failed (retried at the next scan).",
            value=self.stats.history_errors,
        )
