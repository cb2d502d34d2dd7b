"""Client of GitHub's Copilot usage metrics and seat APIs (the report API of 2026, not the closed legacy one).

Reports come as an envelope `{"download_links": [...], "report_day": ...}`; the NDJSON files
behind the signed links are fetched WITHOUT the Authorization header (the signature is the
credential, and the token must not travel to a storage host). 204 means "not ready yet".
Retries and rate limits are api_client's; the token never appears in a log line or an error.
"""

import json
from dataclasses import dataclass
from datetime import date

import httpx

from agent_analytics.exporter.api_client import ApiClient, ApiError, Retries, json_object
from agent_analytics.exporter.config import CopilotConfig

API_VERSION = "2026-03-10"
CopilotError = ApiError  # the name the poller and tests know it by


@dataclass(frozen=True)
class Report:
    day: str | None
    records: list[dict]


@dataclass(frozen=True)
class Scope:
    kind: str  # "org" or "enterprise"
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def path(self) -> str:
        return f"/orgs/{self.name}" if self.kind == "org" else f"/enterprises/{self.name}"

    @property
    def aggregate_report(self) -> str:
        return "organization" if self.kind == "org" else "enterprise"


class CopilotClient:
    def __init__(self, config: CopilotConfig, token: str | None):
        self.config = config
        retries = Retries(config.max_retries, config.max_backoff_seconds)
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._api = ApiClient(config.api_url, headers, timeout=config.timeout_seconds, retries=retries)
        # Signed download links: no Authorization, no GitHub headers.
        self._download = ApiClient("", timeout=config.timeout_seconds, retries=retries)

    def close(self) -> None:
        self._api.close()
        self._download.close()

    # --- reports --------------------------------------------------------------------------------

    def report(self, scope: Scope, name: str, day: date | None = None) -> Report | None:
        """A usage report (`organization-1-day`, `users-1-day`, `organization-28-day`, ...) or None (204)."""
        if name.endswith("-28-day"):
            path = f"{scope.path}/copilot/metrics/reports/{name}/latest"
        else:
            path = f"{scope.path}/copilot/metrics/reports/{name}?day={day.isoformat()}"
        response = self._api.send("GET", path, name)
        if response.status_code == 204:
            return None
        envelope = json_object(response, name)
        links = envelope.get("download_links")
        if not isinstance(links, list):
            raise CopilotError(name, "bad_payload", "no download_links in the envelope")
        records: list[dict] = []
        for link in links:
            url = link if isinstance(link, str) else (link or {}).get("url")
            if not url:
                raise CopilotError(name, "bad_payload", "a download link without url")
            records.extend(self._ndjson(self._download.send("GET", url, "download")))
        report_day = envelope.get("report_day") or envelope.get("report_end_day")
        return Report(day=str(report_day) if report_day else (day.isoformat() if day else None), records=records)

    @staticmethod
    def _ndjson(response: httpx.Response) -> list[dict]:
        out = []
        for n, line in enumerate(response.text.splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            try:
                value = json.loads(line)
            except ValueError:
                raise CopilotError("download", "bad_payload", f"line {n} is not JSON") from None
            if isinstance(value, list):  # tolerate a JSON array file
                out.extend(v for v in value if isinstance(v, dict))
            elif isinstance(value, dict):
                out.append(value)
        return out

    # --- seats ----------------------------------------------------------------------------------

    def billing(self, scope: Scope) -> dict:
        return self._api.json("GET", f"{scope.path}/copilot/billing", "billing")

    def seats(self, scope: Scope) -> list[dict]:
        """All seat assignments, following the Link headers page by page."""
        url: str | None = f"{scope.path}/copilot/billing/seats?per_page=100"
        seats: list[dict] = []
        pages = 0
        while url and pages < 10_000:
            response = self._api.send("GET", url, "seats")
            body = json_object(response, "seats")
            page = body.get("seats")
            if not isinstance(page, list):
                raise CopilotError("seats", "bad_payload", "no seats list")
            seats.extend(s for s in page if isinstance(s, dict))
            url = response.links.get("next", {}).get("url")
            pages += 1
        return seats
