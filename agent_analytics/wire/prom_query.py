"""A small client of the Prometheus HTTP query API, shared by `report`, `backfill` and `doctor`."""

import math

import httpx


class PrometheusError(RuntimeError):
    """Prometheus is unreachable or refused a query; the message says what to do."""


class Prometheus:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.client = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def query(self, promql: str, at: int) -> list[tuple[dict[str, str], float]]:
        body = self._get(promql, at)
        rows = [(row["metric"], float(row["value"][1])) for row in body["data"]["result"]]
        return [(labels, value) for labels, value in rows if math.isfinite(value)]  # NaN/Inf: no figure

    def samples(self, promql: str, at: int) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """The raw samples of a range selector such as `x[2h]`, per series."""
        body = self._get(promql, at)
        return [(row["metric"], [(float(t), float(v)) for t, v in row["values"]]) for row in body["data"]["result"]]

    def _get(self, promql: str, at: int) -> dict:
        try:
            r = self.client.get(f"{self.url}/api/v1/query", params={"query": promql, "time": str(at)})
        except httpx.HTTPError as e:
            raise PrometheusError(
                f"cannot reach Prometheus at {self.url} ({type(e).__name__}): start it with"
                " `agent-analytics up` or pass --prometheus URL"
            ) from None
        try:
            body = r.json()
        except ValueError:
            raise PrometheusError(f"{self.url} answered HTTP {r.status_code} without JSON: is it Prometheus?") from None
        if body.get("status") != "success":
            raise PrometheusError(f"Prometheus refused a query: {body.get('error', r.status_code)}: {promql}")
        return body
