"""3. Productivity: what comes out in git, by agent and evidence, per team and developer."""

from dataclasses import replace

from agent_analytics.vocabulary import series

from .builder import Row, bars, dashboard, prom, stat, table, timeseries
from .common import variables
from .figure_panels import bars_of, stat_of
from .queries import COMMITS, DASHBOARD, GIT, GIT_LINES_ADDED, GIT_LINES_DELETED, PEOPLE, SESSIONS, window

S = replace(DASHBOARD, model="")  # commits name no model

ASSISTED = f'{GIT}, agent!="none"'
DAILY_COMMITS = f'sum by (agent) ({series.COMMITS_1D}{{team_id=~"$team", agent=~"$agent"}})'


def build() -> dict:
    commits = Row(
        "Commits",
        [
            stat_of("commits.assisted", S, width=6),
            stat_of("commits.total", S, width=6),
            stat_of("commits.assisted_share", S, width=6),
            stat("Lines added with an agent", window(GIT_LINES_ADDED, ASSISTED), width=6),
            bars_of("commits.by_agent", S),
            bars("Commits by evidence", [prom(window(COMMITS, GIT, by="evidence"), "{{evidence}}")]),
            bars("Lines added by agent", [prom(window(GIT_LINES_ADDED, GIT, by="agent"), "{{agent}}")]),
            timeseries(
                "Commits per day by agent",
                [
                    prom(
                        DAILY_COMMITS,
                        "{{agent}}",
                    )
                ],
                stack=True,
                interval="1d",
                width=24,
            ),
        ],
    )
    people = Row(
        "Teams and developers",
        [
            table(
                "Assisted share per team (all history)",
                [prom(f'{series.ASSISTED_COMMITS_RATIO}{{team_id=~"$team"}}')],
                "percentunit",
            ),
            table(
                "Lines added and deleted per team and agent",
                [
                    prom(window(GIT_LINES_ADDED, GIT, by="team_id, agent")),
                    prom(window(GIT_LINES_DELETED, GIT, by="team_id, agent")),
                ],
            ),
            table(
                "Claude Code sessions vs commits per developer",
                [
                    prom(window(SESSIONS, PEOPLE, by="developer_id")),
                    prom(window(COMMITS, f'{GIT}, agent="claude-code"', by="developer_id")),
                ],
                width=24,
            ),
        ],
    )
    return dashboard(
        "aa-productivity",
        "Productivity",
        "Commits and lines in git by agent and evidence; assisted share per team; sessions vs commits per developer.",
        [commits, people],
        variables("team", "developer", "agent"),
        tags=("git",),
    )
