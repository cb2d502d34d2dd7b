"""Panels that show a figure of agent_analytics.vocabulary.figures: the figure's words as the
title, what it counts as the description, its unit, and its PromQL over the dashboard's scope,
exactly as `report` evaluates it over its window."""

from __future__ import annotations

from typing import Any

from agent_analytics.vocabulary import figures
from agent_analytics.vocabulary.figures import Scope, figure

from .builder import Panel, PromTarget, bars, prom, stat, table

UNITS = {
    figures.USD: "currencyUSD",
    figures.COUNT: "short",
    figures.SHARE: "percentunit",
    figures.HOURS: "h",
    figures.SECONDS: "s",
    figures.NUMBER: "short",
}
DECIMALS = {figures.USD: 2, figures.HOURS: 1, figures.NUMBER: 2}


def _legend(f: figures.Figure) -> str:
    return "{{" + f.by + "}}" if f.by else ""


def _settings(f: figures.Figure, kw: dict) -> dict:
    return {"description": f.means, "decimals": DECIMALS.get(f.unit), **kw}


def target(path: str, scope: Scope) -> PromTarget:
    """The figure as one target of a panel (several figures side by side in a table)."""
    f = figure(path)
    return prom(f.promql(scope), f.words)


def stat_of(path: str, scope: Scope, **kw: Any) -> Panel:
    f = figure(path)
    return stat(f.words, f.promql(scope), UNITS[f.unit], legend=_legend(f), **_settings(f, kw))


def bars_of(path: str, scope: Scope, **kw: Any) -> Panel:
    f = figure(path)
    return bars(f.words, [prom(f.promql(scope), _legend(f))], UNITS[f.unit], **_settings(f, kw))


def table_of(title: str, paths: list[str], scope: Scope, **kw: Any) -> Panel:
    """Figures of one label (per developer, per agent) side by side, a column each."""
    unit = UNITS[figure(paths[0]).unit]
    return table(title, [target(p, scope) for p in paths], unit, **kw)
