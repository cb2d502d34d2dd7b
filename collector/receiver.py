"""What both OTLP transports do with a request once its bytes are in: authenticate, decode,
fold metrics into the state, clean and queue events, drop traces, count everything."""

from __future__ import annotations

from collections.abc import Callable

from agent_analytics.vocabulary.series import COLLECTOR_RECEIVED, COLLECTOR_REJECTED
from agent_analytics.wire.http_requests import BearerTokens

from . import otlp_codec
from .events import EventPipeline, clean_logs
from .label_policy import LabelPolicy
from .metric_state import MetricState
from .otlp_codec import RequestError
from .self_metrics import SelfMetrics


class Receiver:
    def __init__(
        self,
        state: MetricState,
        events: EventPipeline,
        policy: LabelPolicy,
        self_metrics: SelfMetrics,
        auth_tokens: list[str],
        max_request_bytes: int,
        log_prompts: bool,
    ):
        self.state = state
        self.events = events
        self.policy = policy
        self.self_metrics = self_metrics
        self._tokens = BearerTokens(auth_tokens)
        self.max_request_bytes = max_request_bytes
        self._content_attributes = frozenset() if log_prompts else policy.content_attributes
        self._content_resource_attributes = frozenset() if log_prompts else policy.content_resource_attributes

    def reject(self, error: RequestError) -> None:
        """Count a refused request (the transports call this for every RequestError)."""
        self.self_metrics.add(COLLECTOR_REJECTED, 1, error.reason)

    def authorize(self, authorization: str | None) -> None:
        """Raise RequestError(401) unless a configured bearer token is presented."""
        if not self._tokens.accepts(authorization):
            raise RequestError(401, "unauthenticated", "missing or wrong bearer token")

    def export(self, signal: str, body: bytes, kind: str, header: Callable[[str], str | None]) -> bytes:
        """Handle one export request; returns the encoded response or raises RequestError."""
        return self.prepare(signal, body, kind, header)()

    def prepare(self, signal: str, body: bytes, kind: str, header: Callable[[str], str | None]) -> Callable[[], bytes]:
        """Decode the request and stage what it brings, without waiting for the disk; returns
        what to call for the response, which waits until it is durable (and leads the commit of
        everything staged when none is under way). Raises RequestError."""
        if len(body) > self.max_request_bytes:
            raise otlp_codec.too_large(self.max_request_bytes)
        request = otlp_codec.decode(signal, body, kind)
        developer_id = header(self.policy.developer_header) or None
        if signal == "metrics":
            staged = self.state.stage(request, developer_id)

            def metrics_response() -> bytes:
                _, rejected = self.state.finish(staged)
                message = (
                    "refused: points of exponential histograms or summaries, of a name already used with another"
                    " type, or non-finite / negative values of monotonic sums"
                    if rejected
                    else ""
                )
                return otlp_codec.encode_response(signal, kind, rejected, message)

            return metrics_response
        response = otlp_codec.encode_response(signal, kind)
        if signal == "logs":
            per_agent = clean_logs(
                request,
                self._content_attributes,
                self.policy.developer_attribute,
                developer_id,
                self._content_resource_attributes,
            )
            ticket = self.events.stage(request, sum(per_agent.values()))

            def logs_response() -> bytes:
                self.events.wait(ticket)
                for agent, n in per_agent.items():
                    self.self_metrics.add(COLLECTOR_RECEIVED, n, "logs", agent or "unknown")
                return response

            return logs_response
        return lambda: response
