"""Client of GitHub's Copilot usage metrics and seat APIs (the report API of 2026, not the closed legacy one).

Reports come as an envelope `{"download_links": [...], "report_day": ...}`; the NDJSON files
behind the signed links are fetched WITHOUT the Authorization header (the signature is the
credential, and the token must not travel to a storage host). 204 means "not ready yet".
Retries: 5xx and network errors with exponential backoff; 429 and secondary rate limits after
Retry-After / x-ratelimit-reset; every wait capped by `max_backoff_seconds`. The token never
appears in a log line or an error message.
"""

import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import date

import httpx

from agent_analytics import __version__

from .config import CopilotConfig

log = logging.getLogger(__name__)
# httpx logs every request URL at INFO; signed download URLs are short-lived credentials.
logging.getLogger("httpx").setLevel(logging.WARNING)

API_VERSION = "2026-03-10"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class CopilotError(Exception):
    """A request that failed for good; `endpoint` and `reason` become the error metric's labels."""

    def __init__(self, endpoint: str, reason: str, detail: str = ""):
        super().__init__(f"{endpoint}: {reason}{': ' + detail if detail else ''}")
        self.endpoint = endpoint
        self.reason = reason


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


def _reason(status: int) -> str:
    return {401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "rate_limited"}.get(
        status, "server_error" if status >= 500 else f"http_{status}"
    )


class CopilotClient:
    def __init__(self, config: CopilotConfig, token: str | None):
        self.config = config
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"agent-analytics-exporter/{__version__}",
        }
        # Redirects are followed; httpx drops the Authorization header when one leaves the API host.
        self._api = httpx.Client(
            base_url=config.api_url, headers=headers, timeout=config.timeout_seconds, follow_redirects=True
        )
        self._token = token
        # Signed download links: no Authorization, no GitHub headers.
        self._download = httpx.Client(
            timeout=config.timeout_seconds, follow_redirects=True, headers={"User-Agent": headers["User-Agent"]}
        )

    def close(self) -> None:
        self._api.close()
        self._download.close()

    # --- transport ------------------------------------------------------------------------------

    def _wait_for(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying `response`, or None when it must not be retried."""
        status = response.status_code
        rate_limited = status == 429 or (
            status == 403
            and (
                "retry-after" in response.headers
                or response.headers.get("x-ratelimit-remaining") == "0"
                or "rate limit" in response.text.lower()
            )
        )
        if rate_limited:
            if "retry-after" in response.headers:
                try:
                    return float(response.headers["retry-after"])
                except ValueError:
                    pass
            if "x-ratelimit-reset" in response.headers:
                try:
                    return max(0.0, float(response.headers["x-ratelimit-reset"]) - time.time())
                except ValueError:
                    pass
            return 60.0 * (2**attempt)
        if status >= 500:
            return 1.0 * (2**attempt)
        return None

    def _send(self, client: httpx.Client, url: str, endpoint: str, auth: bool) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._token}"} if auth and self._token else None
        attempt = 0
        while True:
            try:
                response = client.get(url, headers=headers)
            except httpx.HTTPError as e:
                if attempt >= self.config.max_retries:
                    raise CopilotError(endpoint, "network", type(e).__name__) from None
                wait = 1.0 * (2**attempt)
            else:
                if response.status_code < 400:
                    return response
                wait = self._wait_for(response, attempt)
                if wait is None or attempt >= self.config.max_retries:
                    reason = "rate_limited" if wait is not None and response.status_code == 403 else None
                    raise CopilotError(
                        endpoint, reason or _reason(response.status_code), f"HTTP {response.status_code}"
                    )
            wait = min(wait, self.config.max_backoff_seconds)
            log.info("%s: retry %d in %.1fs", endpoint, attempt + 1, wait)
            time.sleep(wait)
            attempt += 1

    def _json(self, response: httpx.Response, endpoint: str) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise CopilotError(endpoint, "bad_payload", "not JSON") from None
        if not isinstance(body, dict):
            raise CopilotError(endpoint, "bad_payload", "expected a JSON object")
        return body

    # --- reports --------------------------------------------------------------------------------

    def report(self, scope: Scope, name: str, day: date | None = None) -> Report | None:
        """A usage report (`organization-1-day`, `users-1-day`, `organization-28-day`, ...) or None (204)."""
        if name.endswith("-28-day"):
            path = f"{scope.path}/copilot/metrics/reports/{name}/latest"
        else:
            path = f"{scope.path}/copilot/metrics/reports/{name}?day={day.isoformat()}"
        response = self._send(self._api, path, name, auth=True)
        if response.status_code == 204:
            return None
        envelope = self._json(response, name)
        links = envelope.get("download_links")
        if not isinstance(links, list):
            raise CopilotError(name, "bad_payload", "no download_links in the envelope")
        records: list[dict] = []
        for link in links:
            url = link if isinstance(link, str) else (link or {}).get("url")
            if not url:
                raise CopilotError(name, "bad_payload", "a download link without url")
            records.extend(self._ndjson(self._send(self._download, url, "download", auth=False)))
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
        return self._json(self._send(self._api, f"{scope.path}/copilot/billing", "billing", auth=True), "billing")

    def seats(self, scope: Scope) -> list[dict]:
        """All seat assignments, following the Link headers page by page."""
        url: str | None = f"{scope.path}/copilot/billing/seats?per_page=100"
        seats: list[dict] = []
        pages = 0
        while url and pages < 10_000:
            response = self._send(self._api, url, "seats", auth=True)
            body = self._json(response, "seats")
            page = body.get("seats")
            if not isinstance(page, list):
                raise CopilotError("seats", "bad_payload", "no seats list")
            seats.extend(s for s in page if isinstance(s, dict))
            m = _NEXT.search(response.headers.get("link", ""))
            url = m.group(1) if m else None
            pages += 1
        return seats
