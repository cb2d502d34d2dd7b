"""The committed dashboards are what Grafana's foundation SDK can express: each one decodes with
the SDK's own deserialisation into its typed models (panels, options, field config, queries,
variables) and encodes back to the identical JSON, so no key lies outside Grafana's schema;
every panel type and every query is one of the SDK's known variants."""

from __future__ import annotations

import copy

import pytest
from grafana_foundation_sdk.cog import runtime
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import loki as loki_model
from grafana_foundation_sdk.models import prometheus as prometheus_model

from grafana.dashboards_src import build
from grafana.dashboards_src.builder import Row, dashboard, heatmap, loki, prom, timeseries, to_json
from tests.support.grafana_queries import load_dashboards

register_default_plugins()  # the panel and query variants from_json decodes into
QUERY_MODELS = {"prometheus": prometheus_model.Dataquery, "loki": loki_model.Dataquery}


def round_trip(board: dict) -> dict:
    """Decoded by the SDK and encoded again. Decoding gives a panel without custom field config
    its type's schema defaults; exactly those, and only where the board has none, are taken off."""
    out = to_json(model.Dashboard.from_json(board))
    for before, after in zip(board.get("panels", []), out.get("panels", []), strict=True):
        defaults = after.get("fieldConfig", {}).get("defaults", {})
        if "custom" in defaults and "custom" not in before.get("fieldConfig", {}).get("defaults", {}):
            schema_default = to_json(runtime.panelcfg_field_config_from_json({}, before["type"]))
            if defaults["custom"] == schema_default:
                del defaults["custom"]
    return out


def unknown_parts(board: dict) -> list[str]:
    """Panels whose type, options or queries the SDK decodes into no typed model of its own."""
    decoded = model.Dashboard.from_json(board)
    out = []
    for panel in decoded.panels or []:
        if isinstance(panel, model.RowPanel):
            continue
        if runtime.panelcfg_config(panel.type_val) is None:
            out.append(f"{panel.title}: panel type {panel.type_val!r}")
        elif isinstance(panel.options, dict):
            out.append(f"{panel.title}: options of {panel.type_val!r} left undecoded")
        for target in panel.targets or []:
            expected = QUERY_MODELS.get(panel.datasource.type_val if panel.datasource else "")
            if expected is None or not isinstance(target, expected):
                out.append(f"{panel.title}: query decoded as {type(target).__name__}")
    return out


@pytest.mark.parametrize("name", sorted(build.DASHBOARDS))
def test_each_dashboard_round_trips_through_the_sdk(name):
    board = load_dashboards()[name]
    assert round_trip(board) == board


@pytest.mark.parametrize("name", sorted(build.DASHBOARDS))
def test_every_panel_type_and_query_is_one_the_sdk_knows(name):
    board = load_dashboards()[name]
    assert unknown_parts(board) == []
    types = {p["type"] for p in board["panels"]}
    assert types <= {"row", "stat", "timeseries", "bargauge", "table", "logs", "text", "heatmap", "state-timeline"}


def test_an_option_or_panel_type_outside_the_schema_is_caught():
    """What the dashboards once carried: stacking among a time series panel's options (it is a
    field option of the series), a `format` on a Loki query, and an alert list panel."""
    board = copy.deepcopy(load_dashboards()["claude-code-usage.json"])
    series = next(p for p in board["panels"] if p["type"] == "timeseries")
    series["options"]["stacking"] = {"mode": "normal"}
    assert round_trip(board) != board

    board = copy.deepcopy(load_dashboards()["claude-code-usage.json"])
    logql_table = next(p for p in board["panels"] if p["title"] == "Cost per session")
    logql_table["targets"][0]["format"] = "table"
    assert round_trip(board) != board

    board = copy.deepcopy(load_dashboards()["budgets.json"])
    board["panels"].append({"type": "alertlist", "title": "Alert rules", "options": {"maxItems": 20}})
    assert unknown_parts(board) == ["Alert rules: panel type 'alertlist'"]


def test_the_heatmap_panel_is_built_from_the_sdks_heatmap_type():
    """No dashboard has a heatmap yet: one built with builder.heatmap round-trips like the rest."""
    panel = heatmap(
        "Active time by hour and weekday",
        [prom('sum by (weekday) (hour_of_day_weekday:active_seconds{team_id=~"$team"})', "{{weekday}}")],
        "s",
        width=24,
        description="Buckets made by the query.",
    )
    board = dashboard("aa-heatmap", "Heatmap", "One heatmap.", [Row("Peak hours", [panel])], [])
    assert round_trip(board) == board and unknown_parts(board) == []
    cell = board["panels"][1]
    assert (cell["type"], cell["gridPos"], cell["description"]) == (
        "heatmap",
        {"x": 0, "y": 1, "w": 24, "h": 8},
        "Buckets made by the query.",
    )
    assert cell["options"]["calculate"] is False and cell["options"]["cellValues"]["unit"] == "s"
    assert cell["fieldConfig"]["defaults"]["unit"] == "s"
    assert cell["targets"][0]["datasource"]["uid"] == "${datasource}" and cell["targets"][0]["refId"] == "A"


def test_a_panel_takes_the_datasource_of_its_targets_and_only_one():
    """The SDK decodes a panel's queries by the panel's datasource type, so PromQL and LogQL
    targets are not mixed in one panel."""
    panel = timeseries("Cost", [prom("sum(claude_code_cost_usage_USD_total)"), prom("vector(1)")]).build()
    assert (panel.datasource.uid, [t.ref_id for t in panel.targets]) == ("${datasource}", ["A", "B"])
    with pytest.raises(ValueError, match="Both: targets of several datasources"):
        timeseries("Both", [prom("vector(1)"), loki('sum(count_over_time({service_name="x"} [1m]))')])
