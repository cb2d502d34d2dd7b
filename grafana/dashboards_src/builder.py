"""A small vocabulary for Grafana dashboard JSON (schema 39): panels, targets, variables and
an automatic grid layout. Dashboards are built from it in the sibling modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROMETHEUS = {"type": "prometheus", "uid": "aa-prometheus"}
LOKI = {"type": "loki", "uid": "aa-loki"}
GRID_WIDTH = 24


def prom(expr: str, legend: str = "", instant: bool = False, fmt: str = "time_series") -> dict[str, Any]:
    """A PromQL target."""
    return {
        "datasource": PROMETHEUS,
        "expr": expr,
        "legendFormat": legend,
        "instant": instant,
        "range": not instant,
        "format": fmt,
        "editorMode": "code",
    }


def loki(expr: str, legend: str = "", instant: bool = False, query_type: str | None = None) -> dict[str, Any]:
    """A LogQL target (metric query unless `query_type="range"` on a logs panel)."""
    return {
        "datasource": LOKI,
        "expr": expr,
        "legendFormat": legend,
        "queryType": query_type or ("instant" if instant else "range"),
        "editorMode": "code",
    }


@dataclass
class Panel:
    title: str
    type: str
    targets: list[dict[str, Any]] = field(default_factory=list)
    width: int = 6
    height: int = 6
    unit: str = "short"
    description: str = ""
    decimals: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    transformations: list[dict[str, Any]] = field(default_factory=list)
    interval: str | None = None
    thresholds: list[tuple[float | None, str]] | None = None
    max_value: float | None = None

    def to_json(self, panel_id: int, x: int, y: int) -> dict[str, Any]:
        datasource = self.targets[0]["datasource"] if self.targets else PROMETHEUS
        defaults: dict[str, Any] = {"unit": self.unit}
        if self.decimals is not None:
            defaults["decimals"] = self.decimals
        if self.max_value is not None:
            defaults["max"] = self.max_value
        if self.thresholds:
            defaults["thresholds"] = {
                "mode": "absolute",
                "steps": [{"value": v, "color": c} for v, c in self.thresholds],
            }
        panel: dict[str, Any] = {
            "id": panel_id,
            "title": self.title,
            "type": self.type,
            "description": self.description,
            "datasource": datasource,
            "gridPos": {"x": x, "y": y, "w": self.width, "h": self.height},
            "fieldConfig": {"defaults": defaults, "overrides": self.overrides},
            "options": self.options,
            "targets": [dict(t, refId=chr(ord("A") + i)) for i, t in enumerate(self.targets)],
        }
        if self.transformations:
            panel["transformations"] = self.transformations
        if self.interval:
            panel["interval"] = self.interval
        return panel


def stat(title: str, expr: str, unit: str = "short", **kw: Any) -> Panel:
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value"}
    return Panel(
        title, "stat", [prom(expr, instant=True)], width=kw.pop("width", 4), height=4, unit=unit, options=options, **kw
    )


def timeseries(title: str, targets: list[dict[str, Any]], unit: str = "short", stack: bool = False, **kw: Any) -> Panel:
    options = {
        "legend": {"displayMode": "table", "placement": "right", "calcs": ["sum"]},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    panel = Panel(
        title,
        "timeseries",
        targets,
        width=kw.pop("width", 12),
        height=kw.pop("height", 8),
        unit=unit,
        options=options,
        **kw,
    )
    if stack:
        panel.overrides = []
        panel.options["stacking"] = {"mode": "normal"}
    return panel


def bars(title: str, targets: list[dict[str, Any]], unit: str = "short", **kw: Any) -> Panel:
    """Horizontal bar gauge of instant values, one bar per series."""
    options = {
        "orientation": "horizontal",
        "displayMode": "gradient",
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "showUnfilled": True,
    }
    for t in targets:
        t["instant"], t["range"] = True, False
    return Panel(
        title,
        "bargauge",
        targets,
        width=kw.pop("width", 8),
        height=kw.pop("height", 8),
        unit=unit,
        options=options,
        **kw,
    )


def table(title: str, targets: list[dict[str, Any]], unit: str = "short", **kw: Any) -> Panel:
    """Instant values as a table, several targets merged on their labels."""
    for t in targets:
        t["instant"], t["range"], t["format"] = True, False, "table"
    transformations = [{"id": "merge", "options": {}}, {"id": "organize", "options": {"excludeByName": {"Time": True}}}]
    return Panel(
        title,
        "table",
        targets,
        width=kw.pop("width", 12),
        height=kw.pop("height", 8),
        unit=unit,
        options={"showHeader": True},
        transformations=transformations,
        **kw,
    )


def logs(title: str, expr: str, **kw: Any) -> Panel:
    return Panel(
        title,
        "logs",
        [loki(expr, query_type="range")],
        width=kw.pop("width", 24),
        height=kw.pop("height", 8),
        options={"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending"},
        **kw,
    )


def alert_list(title: str, **kw: Any) -> Panel:
    options = {
        "viewMode": "list",
        "groupMode": "default",
        "maxItems": 20,
        "sortOrder": 1,
        "alertInstanceLabelFilter": "",
        "datasource": PROMETHEUS["uid"],
        "stateFilter": {"firing": True, "pending": True},
    }
    return Panel(title, "alertlist", [], width=kw.pop("width", 12), height=kw.pop("height", 8), options=options, **kw)


def text(title: str, content: str, **kw: Any) -> Panel:
    return Panel(
        title,
        "text",
        [],
        width=kw.pop("width", 8),
        height=kw.pop("height", 4),
        options={"mode": "markdown", "content": content},
        **kw,
    )


@dataclass
class Row:
    title: str
    panels: list[Panel]


def query_variable(name: str, label: str, query: str, multi: bool = True) -> dict[str, Any]:
    """A Prometheus label_values() variable with "All" meaning any value, the empty one included."""
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": PROMETHEUS,
        "query": {"query": query, "refId": f"{name}-values"},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "allValue": ".*",
        "multi": multi,
        "current": {"selected": True, "text": "All", "value": "$__all"},
        "sort": 1,
    }


def textbox_variable(name: str, label: str, default: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "textbox",
        "query": default,
        "current": {"text": default, "value": default},
        "description": description,
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    rows: list[Row],
    variables: list[dict[str, Any]],
    time_from: str = "now-30d",
    tags: tuple[str, ...] = (),
) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    next_id = 1
    y = 0
    for row in rows:
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": row.title,
                "collapsed": False,
                "gridPos": {"x": 0, "y": y, "w": GRID_WIDTH, "h": 1},
                "panels": [],
            }
        )
        next_id += 1
        y += 1
        x, line_height = 0, 0
        for panel in row.panels:
            if x + panel.width > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            panels.append(panel.to_json(next_id, x, y))
            next_id += 1
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["agent-analytics", *tags],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "5m",
        "time": {"from": time_from, "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["agent-analytics"], "asDropdown": True, "title": "Agent Analytics"}],
        "panels": panels,
    }
