"""Variables every dashboard has: team, developer, model, agent."""

from .builder import query_variable


def standard_variables() -> list[dict]:
    return [
        query_variable("team", "Team", "label_values(claude_code_cost_usage_USD_total, team_id)"),
        query_variable(
            "developer", "Developer", 'label_values(claude_code_cost_usage_USD_total{team_id=~"$team"}, developer_id)'
        ),
        query_variable("model", "Model", "label_values(claude_code_cost_usage_USD_total, model)"),
        query_variable("agent", "Agent", "label_values(agent_analytics_git_commits_total, agent)"),
    ]
