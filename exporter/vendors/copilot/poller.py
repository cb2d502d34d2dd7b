"""Polls the Copilot APIs for each configured scope and keeps the last good figures.

Every section (usage, users/teams, repositories, seats) is replaced only by a successful fetch,
so a failed poll leaves the last good values in place; it counts the error and leaves
`..._last_success_timestamp_seconds` where it was. Nothing here raises into the exporter.
"""

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from agent_analytics.exporter.config import CopilotConfig
from agent_analytics.exporter.vendors.copilot.client import CopilotClient, CopilotError, Report, Scope
from agent_analytics.exporter.vendors.copilot.reports import (
    Family,
    day_timestamp,
    newest_day_records,
    repos_families,
    seats_families,
    usage_families,
    users_families,
)

log = logging.getLogger(__name__)


class CopilotPoller:
    def __init__(self, config: CopilotConfig, today: Callable[[], date] | None = None):
        self.config = config
        self.scopes = [Scope("org", config.org)] if config.org else []
        if config.enterprise:
            self.scopes.append(Scope("enterprise", config.enterprise))
        self._today = today or (lambda: datetime.now(UTC).date())
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self.sections: dict[tuple[str, str], list[Family]] = {}
        self.report_days: dict[tuple[str, str], float] = {}
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.last_success: dict[str, float] = {}
        self.up: dict[str, int] = {}

    def poll(self) -> bool:
        """One poll of every scope; True when all of it succeeded."""
        with self._poll_lock:
            token = os.environ.get(self.config.token_env, "").strip()
            ok = True
            for scope in self.scopes:
                if not token:
                    log.warning("copilot: environment variable %s is empty; skipping the poll", self.config.token_env)
                    self._count(CopilotError("token", "no_token"))
                    with self._lock:
                        self.up[scope.label] = 0
                    ok = False
                    continue
                client = CopilotClient(self.config, token)
                try:
                    ok &= self._poll_scope(client, scope)
                finally:
                    client.close()
            return ok

    def _poll_scope(self, client: CopilotClient, scope: Scope) -> bool:
        ok = True
        for section, fetch in (
            ("usage", self._usage),
            ("users", self._users),
            ("repos", self._repos),
            ("seats", self._seats),
        ):
            try:
                fetch(client, scope)
            except CopilotError as e:
                self._count(e)
                log.warning("copilot %s %s: %s", scope.label, section, e)
                ok = False
            except Exception:  # a payload shape nobody expected must not stop the exporter
                log.exception("copilot %s %s: unexpected failure", scope.label, section)
                self._count(CopilotError(section, "bad_payload"))
                ok = False
        with self._lock:
            self.up[scope.label] = 1 if ok else 0
            if ok:
                self.last_success[scope.label] = time.time()
        return ok

    def _count(self, error: CopilotError) -> None:
        with self._lock:
            self.errors[(error.endpoint, error.reason)] += 1

    def _publish(self, scope: Scope, section: str, families: list[Family], days: dict[str, str]) -> None:
        with self._lock:
            self.sections[(scope.label, section)] = families
            for report, day in days.items():
                self.report_days[(scope.label, report)] = day_timestamp(day)

    def _days(self) -> list[date]:
        today = self._today()
        return [today - timedelta(days=k) for k in range(1, self.config.refetch_days + 1)]

    def _newest(self, client: CopilotClient, scope: Scope, name: str) -> tuple[date, Report] | None:
        """The newest of the last `refetch_days` days whose report is ready (fetched again every poll)."""
        for day in self._days():
            report = client.report(scope, name, day)
            if report is not None:
                return day, report
        return None

    def _usage(self, client: CopilotClient, scope: Scope) -> None:
        name = f"{scope.aggregate_report}-1-day"
        found = self._newest(client, scope, name)
        if found is not None:
            day, report = found
            day_s = report.day or day.isoformat()
            records = [r for r in report.records if str(r.get("day", day_s)) == day_s] or report.records
            self._publish(
                scope, "usage", usage_families(scope.label, records, self.config.max_label_values), {name: day_s}
            )
            return
        # No daily report ready in the window: the newest day of the 28-day report stands in.
        name28 = f"{scope.aggregate_report}-28-day"
        report = client.report(scope, name28)
        if report is None:
            return
        records = newest_day_records(report.records)
        if records:
            day_s = str(records[0].get("day") or report.day)
            self._publish(
                scope, "usage", usage_families(scope.label, records, self.config.max_label_values), {name28: day_s}
            )

    def _users(self, client: CopilotClient, scope: Scope) -> None:
        found = self._newest(client, scope, "users-1-day")
        if found is None:
            return
        day, users = found
        teams = client.report(scope, "user-teams-1-day", day)
        days = {"users-1-day": users.day or day.isoformat()}
        if teams is not None:
            days["user-teams-1-day"] = teams.day or day.isoformat()
        families = users_families(
            scope.label, users.records, teams.records if teams else None, self.config.max_label_values
        )
        self._publish(scope, "users", families, days)

    def _repos(self, client: CopilotClient, scope: Scope) -> None:
        found = self._newest(client, scope, "repos-1-day")
        if found is not None:
            day, report = found
            families = repos_families(scope.label, report.records, self.config.max_label_values)
            self._publish(scope, "repos", families, {"repos-1-day": report.day or day.isoformat()})

    def _seats(self, client: CopilotClient, scope: Scope) -> None:
        billing = client.billing(scope) if scope.kind == "org" else None
        seats = client.seats(scope)
        self._publish(
            scope, "seats", seats_families(scope.label, billing, seats, time.time(), self.config.max_label_values), {}
        )

    def figures(self) -> "CopilotFigures":
        """A copy of what the last polls left, for the exposition."""
        with self._lock:
            return CopilotFigures(
                dict(self.sections), dict(self.report_days), dict(self.errors), dict(self.last_success), dict(self.up)
            )


@dataclass(frozen=True)
class CopilotFigures:
    sections: dict[tuple[str, str], list[Family]]  # (scope, section) -> its gauge families
    report_days: dict[tuple[str, str], float]  # (scope, report) -> midnight UTC of its day
    errors: dict[tuple[str, str], int]  # (endpoint, reason) -> failed requests
    last_success: dict[str, float]
    up: dict[str, int]
