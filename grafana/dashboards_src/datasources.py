"""The dashboards' data sources: each panel, target and query variable names its data source
through a template variable of type datasource (`${datasource}` for Prometheus, `${loki}` for
Loki, the names the monitoring mixins use), so the JSON imports into any Grafana and the viewer
picks the data source. Each variable defaults to the data source the stack provisions
(grafana/provisioning/datasources), so the provisioned stack opens on it unchanged."""

from __future__ import annotations

from pathlib import Path

import yaml
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import dashboard as model

PROVISIONED = Path(__file__).resolve().parent.parent / "provisioning" / "datasources" / "datasources.yaml"

# data source type (the variable's query: a plugin id) -> variable name and label, in the
# order the variables come first on a dashboard
VARIABLES = {"prometheus": ("datasource", "Data source"), "loki": ("loki", "Loki")}


def ref(kind: str) -> model.DataSourceRef:
    """The data source of a panel, target or query variable: the value of `kind`'s variable."""
    return model.DataSourceRef(type_val=kind, uid=f"${{{VARIABLES[kind][0]}}}")


PROMETHEUS = ref("prometheus")
LOKI = ref("loki")


def provisioned() -> dict[str, dict]:
    """Data source type -> the data source provisioned for it (its name and uid)."""
    return {d["type"]: d for d in yaml.safe_load(PROVISIONED.read_text())["datasources"]}


def variables(used: set[str]) -> list[Builder[model.VariableModel]]:
    """The data source variables of the types in `used`. A variable's current value is the
    provisioned data source's uid and its text that data source's name: Grafana keeps a current
    value found among its data sources of that type by uid, else by name, else takes the first."""
    unknown = used - set(VARIABLES)
    if unknown:
        raise ValueError(f"no data source variable for type {', '.join(sorted(unknown))}")
    defaults = provisioned()
    return [
        dashboard_builders.DatasourceVariable(name)
        .label(label)
        .type(kind)
        .current(model.VariableOption(text=defaults[kind]["name"], value=defaults[kind]["uid"]))
        for kind, (name, label) in VARIABLES.items()
        if kind in used
    ]
