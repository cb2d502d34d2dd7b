"""Every series name the dashboards, the rule files and `report` read is declared in the vocabulary
package, the vocabulary's own data files name declared series, and exporter/METRICS.md is what
the declarations render."""

from __future__ import annotations

import re

import promql_parser
import pytest
import yaml

from agent_analytics.exporter import metrics_doc
from agent_analytics.report.measures import MEASURES
from agent_analytics.report.plan_limits import QUERIES as PLAN_LIMITS
from agent_analytics.report.queries import QUERIES
from agent_analytics.vocabulary import facts, figures, hourly, series
from agent_analytics.vocabulary.token_prices import priced_agents
from tests.support.grafana_queries import RULES, load_dashboards, substitute, targets

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def known_names() -> set[str]:
    names = {str(s) for s in series.declared()}
    names |= {s + suffix for s in series.declared() if s.kind == series.HISTOGRAM for suffix in HISTOGRAM_SUFFIXES}
    names |= {name for view in hourly.views() for name in (view.hourly, view.interval)}
    windows = {*facts.BURN_WINDOWS, "1d"}
    return names | {series.spend_rate(w) for w in windows} | {series.burn_rate(w) for w in windows}


def selectors(expr: str) -> list[tuple[str | None, str | None]]:
    """(metric name, or None with the __name__ regex) of every vector selector in a PromQL expression."""
    found: list[tuple[str | None, str | None]] = []

    def walk(node) -> None:
        if type(node).__name__ == "VectorSelector":
            regex = next((m.value for m in node.matchers.matchers if m.name == "__name__"), None)
            found.append((node.name, regex))
        for attr in ("lhs", "rhs", "expr", "param", "vector_selector"):
            child = getattr(node, attr, None)
            if child is not None and not isinstance(child, str | int | float):
                walk(child)
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    walk(promql_parser.parse(expr))
    return found


def report_queries() -> dict[str, str]:
    out = {f"report {name}": expr.replace("$range", "30d").replace("$mtd", "3d") for name, expr in QUERIES.items()}
    for table in (MEASURES, PLAN_LIMITS):
        out |= {f"report {name}": expr.replace("$range", "30d") for name, (expr, _) in table.items()}
    scope = figures.Scope("30d", "2592000")
    out |= {f"report figure {path}": f.promql(scope) for path, f in figures.FIGURES.items()}
    return out


def dashboard_queries() -> dict[str, str]:
    out = {f"{t.dashboard} / {t.panel} / {t.expr[:40]}": substitute(t) for t in targets("prometheus")}
    for board in load_dashboards().values():
        for v in board["templating"]["list"]:
            if v["type"] == "query" and v.get("datasource", {}).get("type") == "prometheus":
                query = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
                inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
                if inner:
                    out[f"{board['title']} / variable {v['name']}"] = inner.group(1)
    return out


def rule_queries() -> dict[str, str]:
    out = {}
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                out[f"{path.name} / {rule.get('record') or rule.get('alert')}"] = rule["expr"]
    return out


@pytest.mark.parametrize("where", ["dashboards", "rules", "report"])
def test_every_series_read_is_declared_in_the_vocabulary(where):
    queries = {"dashboards": dashboard_queries, "rules": rule_queries, "report": report_queries}[where]()
    assert queries
    known = known_names()
    unknown = {}
    for what, expr in queries.items():
        for name, regex in selectors(expr):
            if not (name in known if name else any(re.fullmatch(regex, k) for k in known)):
                unknown.setdefault(name or regex, what)
    assert not unknown, f"read but not declared in agent_analytics/vocabulary/series.py: {unknown}"


def test_every_recorded_series_is_declared():
    recorded = {
        rule["record"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    assert recorded and not recorded - known_names()


def test_the_vocabularys_data_files_name_declared_series():
    declared = {str(s) for s in series.declared()}
    assert set(hourly.kept_labels()) <= declared
    assert {spec.series for spec in priced_agents().values()} <= declared


def test_the_check_would_catch_an_undeclared_name():
    assert selectors('sum(rate(made_up_total{a="b"}[5m])) / on() group_left x:y:z') == [
        ("made_up_total", None),
        ("x:y:z", None),
    ]
    assert "made_up_total" not in known_names()


def test_metrics_md_is_rendered_from_the_declarations():
    assert metrics_doc.OUT.read_text() == metrics_doc.render(), "run python -m agent_analytics.exporter.metrics_doc"
    for s in series.declared():
        if s.startswith(("agent_analytics_git", "agent_analytics_vendor", "agent_analytics_copilot")):
            assert f"`{s}`" in metrics_doc.render()
