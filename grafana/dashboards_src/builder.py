"""The dashboards' vocabulary (panels, targets, variables, rows and an automatic grid layout)
on Grafana's own dashboards-as-code SDK, grafana-foundation-sdk: its types are generated from
Grafana's schema, so a panel option, field config or panel type that Grafana does not know
cannot be built. The sibling modules build the dashboards from these functions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import bargauge as bargauge_builders
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import heatmap as heatmap_builders
from grafana_foundation_sdk.builders import logs as logs_builders
from grafana_foundation_sdk.builders import loki as loki_builders
from grafana_foundation_sdk.builders import prometheus as prometheus_builders
from grafana_foundation_sdk.builders import stat as stat_builders
from grafana_foundation_sdk.builders import statetimeline as statetimeline_builders
from grafana_foundation_sdk.builders import table as table_builders
from grafana_foundation_sdk.builders import text as text_builders
from grafana_foundation_sdk.builders import timeseries as timeseries_builders
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.heatmap import HeatmapColorMode
from grafana_foundation_sdk.models.loki import LokiQueryType
from grafana_foundation_sdk.models.loki import QueryEditorMode as LokiEditorMode
from grafana_foundation_sdk.models.prometheus import PromQueryFormat
from grafana_foundation_sdk.models.prometheus import QueryEditorMode as PromEditorMode
from grafana_foundation_sdk.models.text import TextMode

from agent_analytics.vocabulary.series import ALERTS

from . import datasources
from .datasources import LOKI, PROMETHEUS

GRID_WIDTH = 24

PromTarget = prometheus_builders.Dataquery
LokiTarget = loki_builders.Dataquery
Target = PromTarget | LokiTarget
Panel = Builder[model.Panel]


def prom(expr: str, legend: str = "", instant: bool = False, fmt: str = "time_series") -> PromTarget:
    """A PromQL target."""
    target = (
        PromTarget()
        .datasource(PROMETHEUS)
        .expr(expr)
        .legend_format(legend)
        .format(PromQueryFormat(fmt))
        .editor_mode(PromEditorMode.CODE)
    )
    return target.instant() if instant else target.range()


def loki(expr: str, legend: str = "", instant: bool = False, query_type: str | None = None) -> LokiTarget:
    """A LogQL target (metric query unless `query_type="range"` on a logs panel). Loki's query
    type says instant or range: its `instant`/`range` flags are deprecated in the schema."""
    return (
        LokiTarget()
        .datasource(LOKI)
        .expr(expr)
        .legend_format(legend)
        .query_type(LokiQueryType(query_type or ("instant" if instant else "range")))
        .editor_mode(LokiEditorMode.CODE)
    )


def _instant(target: Target) -> Target:
    """The target as an instant query (a value per series, for bars and tables)."""
    if isinstance(target, PromTarget):
        return target.instant()
    return target.query_type(LokiQueryType.INSTANT)


def _thresholds(steps: list[tuple[float | None, str]]) -> dashboard_builders.ThresholdsConfig:
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for value, color in steps])
    )


def _last_value() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False)


def _panel(
    panel: Any,
    title: str,
    targets: list[Target],
    unit: str,
    *,
    width: int,
    height: int,
    description: str = "",
    decimals: int | None = None,
    thresholds: list[tuple[float | None, str]] | None = None,
    max_value: float | None = None,
    interval: str | None = None,
) -> Panel:
    """What every panel has: title, targets (refIds A, B, ...), the datasource of its targets,
    size, unit and the optional field settings the dashboards use."""
    panel = panel.title(title).span(width).height(height).unit(unit)
    if targets:
        sources = {t.build().datasource.uid: t.build().datasource for t in targets}
        # one per panel: the SDK decodes a panel's queries by the panel's datasource type
        if len(sources) > 1:
            raise ValueError(f"{title}: targets of several datasources ({', '.join(sorted(sources))})")
        panel = panel.datasource(next(iter(sources.values())))
        panel = panel.targets([t.ref_id(chr(ord("A") + i)) for i, t in enumerate(targets)])
    if description:
        panel = panel.description(description)
    if decimals is not None:
        panel = panel.decimals(decimals)
    if max_value is not None:
        panel = panel.max(max_value)
    if thresholds:
        panel = panel.thresholds(_thresholds(thresholds))
    if interval:
        panel = panel.interval(interval)
    return panel


def stat(title: str, expr: str, unit: str = "short", legend: str = "", **kw: Any) -> Panel:
    """One value per series of `expr` (named by `legend` where there are several)."""
    panel = stat_builders.Panel().reduce_options(_last_value()).color_mode(common.BigValueColorMode.VALUE)
    return _panel(panel, title, [prom(expr, legend, instant=True)], unit, width=kw.pop("width", 4), height=4, **kw)


# Grafana's step is max(min interval, range / max data points, rounded to 1h, 2h, 3h, 6h, 12h, 1d
# ...). Fixed instead of the panel's width in pixels, Grafana's default, so that a graph's cost and
# detail do not depend on the screen: 2 h over 30 days, the min interval over 7.
GRAPH_POINTS = 360


def timeseries(title: str, targets: list[Target], unit: str = "short", stack: bool = False, **kw: Any) -> Panel:
    panel = (
        timeseries_builders.Panel()
        .legend(
            common_builders.VizLegendOptions()
            .show_legend(True)
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.RIGHT)
            .calcs(["sum"])
        )
        .tooltip(
            common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)
        )
    )
    if stack:  # a field option of the series (fieldConfig.defaults.custom), not a panel option
        panel = panel.stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL))
    panel = panel.max_data_points(GRAPH_POINTS)
    return _panel(panel, title, targets, unit, width=kw.pop("width", 12), height=kw.pop("height", 8), **kw)


def bars(title: str, targets: list[Target], unit: str = "short", **kw: Any) -> Panel:
    """Horizontal bar gauge of instant values, one bar per series."""
    panel = (
        bargauge_builders.Panel()
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(_last_value())
        .show_unfilled(True)
    )
    targets = [_instant(t) for t in targets]
    return _panel(panel, title, targets, unit, width=kw.pop("width", 8), height=kw.pop("height", 8), **kw)


def table(title: str, targets: list[Target], unit: str = "short", **kw: Any) -> Panel:
    """Instant values as a table, several targets merged on their labels. A LogQL target has no
    table format in Loki's schema: its instant vector arrives as one frame per series already."""
    targets = [_instant(t) for t in targets]
    targets = [t.format(PromQueryFormat.TABLE) if isinstance(t, PromTarget) else t for t in targets]
    panel = (
        table_builders.Panel()
        .show_header(True)
        # transformation options are free-form in Grafana's schema (each transformer has its own)
        .with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(model.DataTransformerConfig(id_val="organize", options={"excludeByName": {"Time": True}}))
    )
    return _panel(panel, title, targets, unit, width=kw.pop("width", 12), height=kw.pop("height", 8), **kw)


def matrix(title: str, expr: str, rows: str, columns: str, unit: str, row_names: dict[str, str], **kw: Any) -> Panel:
    """An instant query whose series carry a `rows` and a `columns` label, drawn as a grid of
    coloured cells (Grafana's groupingToMatrix); `row_names` turns row label values into words."""
    corner = f"{rows}\\{columns}"  # the row-header column groupingToMatrix names after its fields
    names = {value: model.ValueMappingResult(text=text, index=i) for i, (value, text) in enumerate(row_names.items())}
    grouping = {"rowField": rows, "columnField": columns, "valueField": "Value", "emptyValue": "zero"}
    panel = (
        table_builders.Panel()
        .show_header(True)
        .cell_height(common.TableCellHeight.SM)
        .with_transformation(model.DataTransformerConfig(id_val="groupingToMatrix", options=grouping))
        .with_transformation(model.DataTransformerConfig(id_val="sortBy", options={"sort": [{"field": corner}]}))
        .cell_options(common.TableColoredBackgroundCellOptions(mode=common.TableCellBackgroundDisplayMode.GRADIENT))
        .color_scheme(dashboard_builders.FieldColor().mode(model.FieldColorModeId.CONTINUOUS_BL_YL_RD))
        .override_by_name(corner, [model.DynamicConfigValue(id_val="mappings", value=[model.ValueMap(options=names)])])
    )
    target = prom(expr, instant=True, fmt="table")
    return _panel(panel, title, [target], unit, width=kw.pop("width", 24), height=kw.pop("height", 9), **kw)


def logs(title: str, expr: str, **kw: Any) -> Panel:
    panel = logs_builders.Panel().show_time(True).wrap_log_message(True).sort_order(common.LogsSortOrder.DESCENDING)
    target = loki(expr, query_type="range")
    return _panel(panel, title, [target], "short", width=kw.pop("width", 24), height=kw.pop("height", 8), **kw)


def heatmap(title: str, targets: list[Target], unit: str = "short", **kw: Any) -> Panel:
    """Values already bucketed by the query (e.g. one series per weekday, one step per hour of
    the day) as coloured cells: Grafana draws them, it does not compute a histogram."""
    panel = (
        heatmap_builders.Panel()
        .calculate(False)
        .rows_frame(heatmap_builders.RowsHeatmapOptions().layout(common.HeatmapCellLayout.UNKNOWN))
        .color(heatmap_builders.HeatmapColorOptions().mode(HeatmapColorMode.SCHEME).scheme("Oranges").steps(64))
        .cell_values(heatmap_builders.CellValues().unit(unit))
        .y_axis(heatmap_builders.YAxisConfig().reverse(True))
        .show_value(common.VisibilityMode.AUTO)
        .mode(common.TooltipDisplayMode.SINGLE)
        .show_legend()
    )
    return _panel(panel, title, targets, unit, width=kw.pop("width", 12), height=kw.pop("height", 8), **kw)


ALERT_STATES = {"1": ("pending", "orange"), "2": ("firing", "red")}


def alert_list(title: str, **kw: Any) -> Panel:
    """Pending and firing alerts of Prometheus over the time range, one row per alert. Grafana's
    alert list panel has no type in the SDK (nor a schema of its options in Grafana), so the
    alerts are read from Prometheus' own ALERTS series into a state timeline."""
    states = {value: model.ValueMappingResult(text=text, color=color) for value, (text, color) in ALERT_STATES.items()}
    panel = (
        statetimeline_builders.Panel()
        .mappings([model.ValueMap(options=states)])
        .show_value(common.VisibilityMode.NEVER)
        .merge_values(True)
        .legend(common_builders.VizLegendOptions().show_legend(False))
        .tooltip(common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.SINGLE))
    )
    # 2 while firing, 1 while pending (the codes of ALERT_STATES)
    expr = f'max by (alertname) (({ALERTS}{{alertstate="firing"}} * 2) or {ALERTS}{{alertstate="pending"}})'
    return _panel(
        panel,
        title,
        [prom(expr, "{{alertname}}")],
        "short",
        width=kw.pop("width", 12),
        height=kw.pop("height", 8),
        **kw,
    )


def text(title: str, content: str, **kw: Any) -> Panel:
    panel = text_builders.Panel().mode(TextMode.MARKDOWN).content(content)
    return _panel(panel, title, [], "short", width=kw.pop("width", 8), height=kw.pop("height", 4), **kw)


@dataclass
class Row:
    title: str
    panels: list[Panel]


Variable = Builder[model.VariableModel]


def query_variable(name: str, label: str, query: str, multi: bool = True) -> Variable:
    """A Prometheus label_values() variable with "All" meaning any value, the empty one included."""
    return (
        dashboard_builders.QueryVariable(name)
        .label(label)
        .datasource(PROMETHEUS)
        .query(query)  # Grafana's editor writes `definition` (no field in the schema) from it
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .include_all(True)
        .all_value(".*")
        .multi(multi)
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
        .sort(model.VariableSort.ALPHABETICAL_ASC)
    )


# query_result() lists `<name>{<labels>} <value> <timestamp in ms>` per series: the value of a
# series without a name or labels (a number the query computes)
QUERY_RESULT_VALUE = r"/^\{\} (\S+) /"


def config_variable(name: str, label: str, query: str, description: str) -> Variable:
    """A number the viewer may change, read from Prometheus (a query_result() variable: the value
    of an instant query at the end of the time range) whenever the dashboard loads."""
    return (
        dashboard_builders.QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(PROMETHEUS)
        .query(f"query_result({query})")
        .regex(QUERY_RESULT_VALUE)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .allow_custom_value(True)
        .include_all(False)
        .multi(False)
    )


def _layout(rows: list[Row]) -> list[Builder[model.Panel] | Builder[model.RowPanel]]:
    """Rows and their panels left to right, a panel that would not fit starting a new line;
    ids in order. Positions are set here: the SDK's own placement lets a line overflow."""
    out: list[Any] = []
    next_id, y = 1, 0
    for row in rows:
        out.append(
            dashboard_builders.Row(row.title)
            .id(next_id)
            .collapsed(False)
            .grid_pos(model.GridPos(x=0, y=y, w=GRID_WIDTH, h=1))
        )
        next_id, y = next_id + 1, y + 1
        x, line_height = 0, 0
        for panel in row.panels:
            size = panel.build().grid_pos
            if x + size.w > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            out.append(panel.id(next_id).grid_pos(model.GridPos(x=x, y=y, w=size.w, h=size.h)))
            next_id, x = next_id + 1, x + size.w
            line_height = max(line_height, size.h)
        y += line_height
    return out


def dashboard(
    uid: str,
    title: str,
    description: str,
    rows: list[Row],
    variables: list[Variable],
    time_from: str = "now-30d",
    tags: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model (what build.py writes), with the data source
    variables of the data sources its panels and variables query, first."""
    items = _layout(rows)
    used = {
        source.type_val
        for source in [item.build().datasource for item in items] + [v.build().datasource for v in variables]
        if source is not None
    }
    board = (
        dashboard_builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["agent-analytics", *tags])
        .timezone("utc")
        .readonly()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .version(1)
        .refresh("5m")
        .time(time_from, "now")
        .variables([*datasources.variables(used), *variables])
        .link(
            dashboard_builders.DashboardLink("Agent Analytics")
            .type(model.DashboardLinkType.DASHBOARDS)
            .tags(["agent-analytics"])
            .as_dropdown(True)
        )
    )
    for item in items:
        board = board.with_row(item) if isinstance(item, dashboard_builders.Row) else board.with_panel(item)
    return to_json(board.build())


def to_json(value: Any) -> Any:
    """An SDK model as plain JSON values, written by the SDK's own encoder."""
    return json.loads(JSONEncoder().encode(value))
