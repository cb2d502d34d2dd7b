"""One HTTP transport for every API the exporter polls (GitHub, Anthropic, Cursor, OpenAI).

Retries (tenacity): network errors, 5xx and Anthropic's 529 (overloaded) with exponential backoff; 429
(and GitHub's secondary rate limit, a 403 that says so) after `retry-after` or
`x-ratelimit-reset`; every wait capped by `max_backoff_seconds`. A request that fails for good
raises ApiError with a short `reason` for the error metric's label. Credentials travel only in
headers and never appear in a log line, a metric or an error message.
"""

import logging
import time
from dataclasses import dataclass

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from agent_analytics import __version__

log = logging.getLogger(__name__)
# httpx logs every request URL at INFO; signed download URLs are short-lived credentials.
logging.getLogger("httpx").setLevel(logging.WARNING)

USER_AGENT = f"agent-analytics-exporter/{__version__}"
REASONS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "rate_limited", 529: "overloaded"}


class ApiError(Exception):
    """A request that failed for good; `endpoint` and `reason` become the error metric's labels."""

    def __init__(self, endpoint: str, reason: str, detail: str = ""):
        super().__init__(f"{endpoint}: {reason}{': ' + detail if detail else ''}")
        self.endpoint = endpoint
        self.reason = reason

    @property
    def auth_failed(self) -> bool:
        return self.reason in ("unauthorized", "forbidden")


def reason_of(status: int) -> str:
    return REASONS.get(status, "server_error" if status >= 500 else f"http_{status}")


@dataclass(frozen=True)
class Retries:
    max_retries: int = 4
    max_backoff_seconds: float = 60.0
    first_backoff_seconds: float = 1.0


def _rate_limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    return response.status_code == 403 and (  # GitHub's secondary rate limit
        "retry-after" in response.headers
        or response.headers.get("x-ratelimit-remaining") == "0"
        or "rate limit" in response.text.lower()
    )


def retry_wait(response: httpx.Response, attempt: int, retries: Retries) -> float | None:
    """Seconds to wait before retrying `response`, or None when it must not be retried."""
    if _rate_limited(response):
        for header, since in (("retry-after", 0.0), ("x-ratelimit-reset", time.time())):
            if header in response.headers:
                try:
                    return max(0.0, float(response.headers[header]) - since)
                except ValueError:
                    pass
        return 60.0 * (2**attempt)
    if response.status_code >= 500:  # 529 included
        return retries.first_backoff_seconds * (2**attempt)
    return None


class _Retryable(Exception):
    """An answer to try again after `wait` seconds."""

    def __init__(self, response: httpx.Response, wait: float):
        self.response = response
        self.wait = wait


class ApiClient:
    """An httpx client bound to one API's base URL and credential headers, with the retry policy."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: float = 30.0,
        retries: Retries = Retries(),
    ):
        self.retries = retries
        # Redirects are followed; httpx drops the Authorization header when one leaves the API host.
        self.http = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            auth=auth,
            timeout=timeout,
            follow_redirects=True,
        )

    def close(self) -> None:
        self.http.close()

    def send(self, method: str, url: str, endpoint: str, **request) -> httpx.Response:
        """The first answer below 400, retried as the module says; ApiError otherwise."""

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception()
            seconds = error.wait if isinstance(error, _Retryable) else None
            if seconds is None:  # a network error
                seconds = self.retries.first_backoff_seconds * (2 ** (state.attempt_number - 1))
            seconds = min(seconds, self.retries.max_backoff_seconds)
            log.info("%s: retry %d in %.1fs", endpoint, state.attempt_number, seconds)
            return seconds

        requests_made = 0

        def attempt() -> httpx.Response:
            nonlocal requests_made
            requests_made += 1
            response = self.http.request(method, url, **request)
            if response.status_code < 400:
                return response
            seconds = retry_wait(response, requests_made - 1, self.retries)
            if seconds is None:
                raise ApiError(endpoint, reason_of(response.status_code), f"HTTP {response.status_code}")
            raise _Retryable(response, seconds)

        retrying = Retrying(
            stop=stop_after_attempt(self.retries.max_retries + 1),
            wait=wait,
            retry=retry_if_exception_type((httpx.HTTPError, _Retryable)),
            reraise=True,
        )

        try:
            return retrying(attempt)
        except httpx.HTTPError as e:
            raise ApiError(endpoint, "network", type(e).__name__) from None
        except _Retryable as e:
            reason = "rate_limited" if _rate_limited(e.response) else reason_of(e.response.status_code)
            raise ApiError(endpoint, reason, f"HTTP {e.response.status_code}") from None

    def json(self, method: str, url: str, endpoint: str, **request) -> dict:
        """`send`, then the body as a JSON object; ApiError(reason="bad_payload") otherwise."""
        return json_object(self.send(method, url, endpoint, **request), endpoint)


def json_object(response: httpx.Response, endpoint: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise ApiError(endpoint, "bad_payload", "not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(endpoint, "bad_payload", "expected a JSON object")
    return body
