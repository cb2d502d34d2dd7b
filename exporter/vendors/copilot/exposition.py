"""The Copilot figures of the last polls as Prometheus families: the report gauges, merged over
scopes, and the poller's health."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from agent_analytics.exporter.vendors.copilot.poller import CopilotPoller
from agent_analytics.vocabulary.series import COPILOT_LAST_SUCCESS, COPILOT_POLL_ERRORS, COPILOT_REPORT_DAY, COPILOT_UP


class CopilotExposition(Collector):
    def __init__(self, poller: CopilotPoller):
        self.poller = poller

    def collect(self) -> Iterator:
        figures = self.poller.figures()
        merged: dict[str, GaugeMetricFamily] = {}
        for _, families in sorted(figures.sections.items()):
            for f in families:
                g = merged.get(f.name)
                if g is None:
                    g = merged[f.name] = GaugeMetricFamily(f.name, f.help, labels=list(f.labels))
                for labels, value in sorted(f.samples.items()):
                    g.add_metric(list(labels), value)
        yield from merged.values()
        day, success, up, errors = (
            s.family() for s in (COPILOT_REPORT_DAY, COPILOT_LAST_SUCCESS, COPILOT_UP, COPILOT_POLL_ERRORS)
        )
        for (scope, report), ts in sorted(figures.report_days.items()):
            day.add_metric([scope, report], ts)
        for scope, ts in sorted(figures.last_success.items()):
            success.add_metric([scope], ts)
        for scope, value in sorted(figures.up.items()):
            up.add_metric([scope], value)
        for (endpoint, reason), n in sorted(figures.errors.items()):
            errors.add_metric([endpoint, reason], n)
        yield from (day, success, up, errors)
