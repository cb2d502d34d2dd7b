"""Gauges straight from the configuration: budgets, seat prices, paid seats, ROI assumptions, and
which source each agent's spend is taken from."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from agent_analytics.vocabulary.series import SPEND_SOURCE
from agent_analytics.vocabulary.spend import SPEND_SOURCE_AGENTS

from .config import ExporterConfig

ROI_HELP = {
    "hourly_rate_usd": "Loaded cost of one engineering hour in USD (roi.hourly_rate_usd).",
    "minutes_saved_per_accepted_line": "Minutes saved per accepted AI-suggested line (roi assumption).",
    "minutes_saved_per_assisted_commit": "Minutes saved per AI-assisted commit (roi assumption).",
    **{
        f"hours_saved_per_week_{tier}": f"Hours saved per {tier} user per week (your roi preset)."
        for tier in ("light", "moderate", "heavy")
    },
    "output_uplift": "Extra output per developer-day with an agent, 0.1 = 10% (your roi preset).",
}


class ConfigCollector(Collector):
    def __init__(self, config: ExporterConfig):
        self.config = config

    def collect(self) -> Iterator:
        c = self.config
        for name, help_text, label, values in (
            ("budget_monthly_usd", "Monthly budget of the team in USD (budgets).", "team_id", c.budgets),
            ("seat_price_monthly_usd", "Price of one seat per month in USD (seat_prices).", "agent", c.seat_prices),
            ("seats_paid", "Seats paid for agents without a seat API (seats).", "agent", c.seats),
        ):
            family = GaugeMetricFamily(f"agent_analytics_{name}", help_text, labels=[label])
            for key, value in sorted(values.items()):
                family.add_metric([key], value)
            yield family
        for key, help_text in ROI_HELP.items():
            value = getattr(c.roi, key)
            if value is not None:
                yield GaugeMetricFamily(f"agent_analytics_roi_{key}", help_text, value=value)
        family = GaugeMetricFamily(
            SPEND_SOURCE,
            "1 for the source the spend of the agent is taken from (spend_source: auto = telemetry where the "
            "developer sends it, the vendor API otherwise).",
            labels=["agent", "source"],
        )
        for agent in SPEND_SOURCE_AGENTS:
            family.add_metric([agent, c.spend_source.get(agent, "auto")], 1)
        yield family
