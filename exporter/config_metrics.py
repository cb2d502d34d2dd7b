"""Gauges straight from the configuration: budgets, seat prices, paid seats, Claude plan prices (the
list prices where `plan_prices` gives none), ROI assumptions, and which source each agent's spend is
taken from."""

from collections.abc import Iterator

from prometheus_client.registry import Collector

from agent_analytics.exporter.config import ExporterConfig
from agent_analytics.vocabulary import plan_limits
from agent_analytics.vocabulary import series as s
from agent_analytics.vocabulary.spend import SPEND_SOURCE_AGENTS


class ConfigExposition(Collector):
    def __init__(self, config: ExporterConfig):
        self.config = config

    def collect(self) -> Iterator:
        c = self.config
        for name, values in ((s.BUDGET_MONTHLY, c.budgets), (s.SEAT_PRICE, c.seat_prices), (s.SEATS_PAID, c.seats)):
            family = name.family()
            for key, value in sorted(values.items()):
                family.add_metric([key], value)
            yield family
        family = s.PLAN_PRICE.family()
        for plan, price in plan_limits.prices(c.plan_prices).items():
            family.add_metric([plan], price)
        yield family
        for key, name in s.ROI_SETTINGS.items():
            value = getattr(c.roi, key)
            if value is not None:
                yield name.family(value=value)
        family = s.SPEND_SOURCE.family()
        for agent in SPEND_SOURCE_AGENTS:
            family.add_metric([agent, c.spend_source.get(agent, "auto")], 1)
        yield family
