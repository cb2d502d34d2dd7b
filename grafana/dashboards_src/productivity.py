"""3. Productivity: what comes out in git, by agent and evidence, per team and developer."""

from agent_analytics.vocabulary import series

from .builder import Row, bars, dashboard, prom, stat, table, timeseries
from .common import standard_variables
from .queries import COMMITS, GIT, GIT_LINES_ADDED, GIT_LINES_DELETED, PEOPLE, SESSIONS, window

ASSISTED = f'{GIT}, agent!="none"'
DAILY_COMMITS = f'sum by (agent) ({series.COMMITS_1D}{{team_id=~"$team", agent=~"$agent"}})'


def build() -> dict:
    commits = Row(
        "Commits",
        [
            stat(
                "Assisted commits",
                window(COMMITS, ASSISTED),
                width=6,
                description="Commits an agent helped with: the git hook saw its session, or a trailer names it.",
            ),
            stat("All commits", window(COMMITS, GIT), width=6),
            stat("Assisted share", f"{window(COMMITS, ASSISTED)} / {window(COMMITS, GIT)}", "percentunit", width=6),
            stat("Lines added with an agent", window(GIT_LINES_ADDED, ASSISTED), width=6),
            bars("Commits by agent", [prom(window(COMMITS, GIT, by="agent"), "{{agent}}")]),
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
        standard_variables(),
        tags=("git",),
    )
