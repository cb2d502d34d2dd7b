"""The queries of the committed dashboards and of the rule files, with Grafana's template
variables replaced the way Grafana replaces them before a query reaches the datasource, and
the datasource each one reaches, found the way the provisioned Grafana finds it."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "grafana" / "dashboards"
RULES = sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
PROVISIONED = ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml"


@dataclass(frozen=True)
class Target:
    dashboard: str
    panel: str
    panel_type: str
    datasource: str  # "prometheus" or "loki"
    expr: str
    instant: bool
    variables: dict  # textbox variable defaults of the dashboard
    computed: dict  # query_result() variables of the dashboard: name -> (query, regex)

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel}"


def load_dashboards() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


@functools.cache
def provisioned_datasources() -> dict[str, dict]:
    """uid -> a datasource the stack provisions."""
    return {d["uid"]: d for d in yaml.safe_load(PROVISIONED.read_text())["datasources"]}


def resolve_datasource(board: dict, ref: dict) -> dict:
    """The provisioned datasource a reference reaches when the dashboard opens: its uid is
    `${name}`, the datasource variable `name`, whose current value is a datasource's uid."""
    match = re.fullmatch(r"\$\{(\w+)\}", ref["uid"])
    assert match, f"{board['title']}: fixed datasource uid {ref['uid']!r}"
    variable = next(v for v in board["templating"]["list"] if v["name"] == match[1] and v["type"] == "datasource")
    found = provisioned_datasources()[variable["current"]["value"]]
    assert found["type"] == ref["type"] == variable["query"], f"{board['title']}: {ref} reaches {found}"
    return found


def board_variables(board: dict) -> tuple[dict, dict]:
    """A dashboard's textbox and constant defaults, and its query_result() variables."""
    variables = board["templating"]["list"]
    defaults = {v["name"]: v["query"] for v in variables if v["type"] in ("textbox", "constant")}
    computed = {
        v["name"]: (v["query"], v["regex"])
        for v in variables
        if v["type"] == "query" and str(v["query"]).startswith("query_result(")
    }
    return defaults, computed


def targets(kind: str | None = None) -> list[Target]:
    out = []
    for board in load_dashboards().values():
        defaults, computed = board_variables(board)
        for panel in board["panels"]:
            for t in panel.get("targets", []):
                ds = resolve_datasource(board, t["datasource"])["type"]
                if kind and ds != kind:
                    continue
                instant = t.get("instant", False) or t.get("queryType") == "instant"
                out.append(
                    Target(board["title"], panel["title"], panel["type"], ds, t["expr"], instant, defaults, computed)
                )
    return out


def seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(duration[:-1]) * units[duration[-1]]


@functools.lru_cache(maxsize=64)  # one reading per variable, time and range, as Grafana refreshes it
def query_result_value(query: str, regex: str, prometheus, at: float, range_: str) -> str:
    """A query_result() variable's value as Grafana takes it: the instant query at the end of the
    time range, each series written `<name>{<labels>} <value> <timestamp in ms>`, the regex's
    first group of the first series that matches (the first option, with no current value)."""
    expr = query.removeprefix("query_result(").removesuffix(")").replace("$__range", range_)
    pattern = re.compile(regex.strip("/"))
    for s in prometheus.query(expr, at=at):
        metric = dict(s["metric"])
        name = metric.pop("__name__", "")
        labels = ",".join(f'{k}="{v}"' for k, v in metric.items())
        text = f"{name}{{{labels}}} {s['value'][1]} {int(float(s['value'][0]) * 1000)}"
        if found := pattern.search(text):
            return found.group(1)
    raise AssertionError(f"variable query {query} gave no value")


def substitute(
    target: Target,
    range_: str = "1h",
    interval: str = "15s",
    rate_interval: str = "1m",
    prometheus=None,
    at: float | None = None,
    picks: dict[str, str] | None = None,
) -> str:
    """Grafana's interpolation: multi-value variables set to All become their allValue (.*),
    $__range/$__interval are durations of the dashboard's time range and step, and a
    query_result() variable is what its query gives on `prometheus` at `at` (without one: the
    default it falls back to, as on a Prometheus without the roi config). `picks`: variables set
    to a value instead of All (a single value, as Grafana writes it into a regex)."""
    range_seconds = seconds(range_)
    computed = {}
    for name, (query, regex) in target.computed.items():
        if prometheus is not None:
            computed[name] = query_result_value(query, regex, prometheus, at, range_)
        else:
            computed[name] = re.search(r"or vector\((\S+)\)\)$", query).group(1)
    values = {
        "__range_s": str(range_seconds),
        "__range_ms": str(range_seconds * 1000),
        "__range": range_,
        "__rate_interval": rate_interval,
        "__interval_ms": str(seconds(interval) * 1000),
        "__interval": interval,
        "team": ".*",
        "developer": ".*",
        "model": ".*",
        "agent": ".*",
        "github_team": ".*",
        **target.variables,
        **computed,
        **(picks or {}),
    }
    expr = target.expr
    for name in sorted(values, key=len, reverse=True):  # $__range_s before $__range
        expr = re.sub(r"\$\{?" + re.escape(name) + r"\}?(?![A-Za-z0-9_])", values[name], expr)
    assert "$" not in expr.replace('"picked:$1"', ""), f"{target}: variable left in {expr}"
    return expr


def rule_expressions() -> list[tuple[str, str]]:
    """(record or alert name, expression) of every rule."""
    out = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                out.append((rule.get("record") or rule["alert"], rule["expr"]))
    return out
