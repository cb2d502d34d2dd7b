"""promtool's unit tests of the rules (prometheus/tests/*.yml), a class each: the suite runs with
`--dist loadscope`, so the slowest files run side by side on the workers instead of one after the
other in one module."""

from __future__ import annotations

import pytest

from tests.support.promtool import UNIT_TESTS, unit_test_passes

pytestmark = [pytest.mark.prometheus, pytest.mark.timeout(600)]


class TestActiveDays:
    def test_passes(self):
        unit_test_passes("active_days_test")


@pytest.mark.long
class TestBudgetDay:
    def test_passes(self):
        unit_test_passes("budget_day_test")


@pytest.mark.long
class TestBudgetRules:
    def test_passes(self):
        unit_test_passes("budget_rules_test")


class TestHourlyRules:
    def test_passes(self):
        unit_test_passes("hourly_rules_test")


class TestMonthBoundary:
    def test_passes(self):
        unit_test_passes("month_boundary_test")


class TestPlanLimits:
    def test_passes(self):
        unit_test_passes("plan_limits_test")


class TestPipelineAlerts:
    def test_passes(self):
        unit_test_passes("pipeline_alerts_test")


class TestScrapeGap:
    def test_passes(self):
        unit_test_passes("scrape_gap_test")


class TestUsageRules:
    def test_passes(self):
        unit_test_passes("usage_rules_test")


class TestVendorAlerts:
    def test_passes(self):
        unit_test_passes("vendor_alerts_test")


class TestVendorBudget:
    def test_passes(self):
        unit_test_passes("vendor_budget_test")


class TestTelemetryStopped:
    def test_passes(self):
        unit_test_passes("telemetry_stopped_test")


def test_every_unit_test_file_has_its_class():
    classes = {name for name, value in globals().items() if name.startswith("Test") and isinstance(value, type)}
    assert len(UNIT_TESTS) >= 9
    assert classes == {
        "Test" + "".join(w.capitalize() for w in p.stem.removesuffix("_test").split("_")) for p in UNIT_TESTS
    }
