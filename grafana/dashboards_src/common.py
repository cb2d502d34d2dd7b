"""Variables every dashboard has: team, developer, model, agent."""

from .builder import query_variable
from .queries import COMMITS, COST


def standard_variables() -> list[dict]:
    return [
        query_variable("team", "Team", f"label_values({COST}, team_id)"),
        query_variable("developer", "Developer", f'label_values({COST}{{team_id=~"$team"}}, developer_id)'),
        query_variable("model", "Model", f"label_values({COST}, model)"),
        query_variable("agent", "Agent", f"label_values({COMMITS}, agent)"),
    ]
