"""The dashboards' variables: who and what to show (team, developer, model, agent), each listing
the values of every series that names them (agent_analytics.vocabulary.figures.NAMED_BY), and the
ROI inputs, which default to the exporter's roi config as `report` does. A dashboard offers only
the variables its panels use."""

from agent_analytics.vocabulary import figures

from .builder import config_variable, query_variable
from .queries import TEAM

PEOPLE_VARIABLES = {
    "team": lambda: query_variable("team", "Team", f"label_values({figures.naming('team_id')}, team_id)"),
    "developer": lambda: query_variable(
        "developer",
        "Developer",
        f"label_values({figures.naming('developer_id', TEAM)}, developer_id)",
    ),
    "model": lambda: query_variable("model", "Model", f"label_values({figures.naming('model')}, model)"),
    "agent": lambda: query_variable("agent", "Agent", f"label_values({figures.naming('agent')}, agent)"),
}
ROI_VARIABLES = {
    "hourly_rate_usd": ("Hourly rate (USD)", "hourly_rate_usd", "Loaded cost of one engineering hour."),
    "minutes_per_commit": (
        "Minutes saved per assisted commit",
        "minutes_saved_per_assisted_commit",
        "Minutes saved per commit an agent helped with.",
    ),
}


def variables(*names: str) -> list:
    """The dashboard variables `names`, in order."""
    out = []
    for name in names:
        if name in PEOPLE_VARIABLES:
            out.append(PEOPLE_VARIABLES[name]())
        else:
            label, key, description = ROI_VARIABLES[name]
            out.append(config_variable(name, label, figures.configured(key, "$__range"), description))
    return out
