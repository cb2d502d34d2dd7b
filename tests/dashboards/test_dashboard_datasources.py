"""The dashboards import into a Grafana that has its own data sources: no panel, target or query
variable names a data source by a fixed uid; each names it through a datasource variable, and a
dashboard has exactly the variables of the data sources it queries, defaulting to the ones the
stack provisions."""

from __future__ import annotations

import copy
import re

import pytest

from grafana.dashboards_src import build
from grafana.dashboards_src.builder import Row, dashboard, logs, text
from grafana.dashboards_src.common import variables
from tests.support.grafana_queries import load_dashboards, provisioned_datasources

VARIABLE_REF = re.compile(r"\$\{(\w+)\}")
# the data sources each dashboard queries: the events in Loki feed two of them
EXPECTED = {
    "ai-spend-roi.json": ["datasource", "loki"],
    "budgets.json": ["datasource"],
    "claude-code-usage.json": ["datasource", "loki"],
    "github-copilot.json": ["datasource"],
    "productivity.json": ["datasource"],
    "plan-limits.json": ["datasource"],
}


def datasource_refs(node, path: str = "") -> list[tuple[str, object]]:
    """(where, value) of every `datasource` key anywhere in the dashboard JSON."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                out.append((f"{path}.{key}", value))
            out += datasource_refs(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += datasource_refs(value, f"{path}[{i}]")
    return out


def fixed_refs(board: dict) -> list[str]:
    """References that name a data source other than through a variable ({"type", "uid": "${x}"})."""
    return [
        f"{where}: {value!r}"
        for where, value in datasource_refs(board)
        if not (isinstance(value, dict) and VARIABLE_REF.fullmatch(str(value.get("uid", ""))) and value.get("type"))
    ]


def datasource_variables(board: dict) -> dict[str, dict]:
    return {v["name"]: v for v in board["templating"]["list"] if v["type"] == "datasource"}


def test_the_generated_dashboards_are_the_ones_checked():
    assert sorted(EXPECTED) == sorted(build.DASHBOARDS)


@pytest.mark.parametrize("name", sorted(build.DASHBOARDS))
def test_no_panel_target_or_query_variable_names_a_fixed_datasource(name):
    board = load_dashboards()[name]
    assert fixed_refs(board) == []
    # one reference on each panel that queries, each target and each query variable, nowhere else
    panels = [p for p in board["panels"] if p.get("targets")]
    queries = [v for v in board["templating"]["list"] if v["type"] == "query"]
    expected = len(panels) + sum(len(p["targets"]) for p in panels) + len(queries)
    assert len(datasource_refs(board)) == expected and expected > len(panels) > 0


def test_a_fixed_uid_is_found_wherever_it_is():
    board = copy.deepcopy(load_dashboards()["claude-code-usage.json"])
    board["panels"][3]["targets"][0]["datasource"]["uid"] = "aa-prometheus"
    board["templating"]["list"][2]["datasource"] = "Prometheus"  # the legacy form: a data source name
    assert fixed_refs(board) == [
        ".panels[3].targets[0].datasource: {'type': 'prometheus', 'uid': 'aa-prometheus'}",
        ".templating.list[2].datasource: 'Prometheus'",
    ]


@pytest.mark.parametrize("name", sorted(build.DASHBOARDS))
def test_each_dashboard_has_exactly_the_datasource_variables_its_queries_use(name):
    board = load_dashboards()[name]
    variables = datasource_variables(board)
    used = {VARIABLE_REF.fullmatch(ref["uid"])[1]: ref["type"] for _, ref in datasource_refs(board)}
    assert {n: v["query"] for n, v in variables.items()} == used
    # first on the dashboard, Prometheus before Loki
    assert [v["name"] for v in board["templating"]["list"][: len(variables)]] == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(build.DASHBOARDS))
def test_the_datasource_variables_default_to_the_provisioned_datasources(name):
    """The provisioned stack opens each dashboard on its own data sources (by uid); in another
    Grafana, the one of that name or the first of the type."""
    by_type = {d["type"]: d for d in provisioned_datasources().values()}
    assert {(t, d["name"], d["uid"]) for t, d in by_type.items()} == {
        ("prometheus", "Prometheus", "aa-prometheus"),
        ("loki", "Loki", "aa-loki"),
        ("alertmanager", "Alertmanager", "aa-alertmanager"),  # for Grafana's alerting views, no panel
    }
    for variable in datasource_variables(load_dashboards()[name]).values():
        source = by_type[variable["query"]]
        assert variable["current"] == {"text": source["name"], "value": source["uid"]}
        # one data source at a time, the choice on show
        assert (variable["multi"], variable["includeAll"], variable.get("hide", 0)) == (False, False, 0)
    labels = {n: v["label"] for n, v in datasource_variables(load_dashboards()[name]).items()}
    assert labels == {n: {"datasource": "Data source", "loki": "Loki"}[n] for n in EXPECTED[name]}


def test_a_dashboard_gets_the_variables_of_the_datasources_it_queries():
    def names(rows, variables):
        return [v["name"] for v in dashboard("aa-x", "X", "", rows, variables)["templating"]["list"]]

    note = Row("Note", [text("Read me", "Nothing is queried.")])
    events = Row("Events", [logs("Errors", '{service_name="claude-code"}')])
    assert names([note], []) == []
    assert names([events], []) == ["loki"]
    # the query variables read Prometheus: the dashboard needs its variable although no panel does
    people = variables("team", "developer", "model", "agent")
    assert names([note, events], people) == ["datasource", "loki", "team", "developer", "model", "agent"]
