"""The exporter's configuration (errors that name the key) and the marker table."""

import subprocess

import pytest

from agent_analytics.exporter.config import ConfigError, load_config, parse_config
from agent_analytics.exporter.git.attribution import Attribution, load_markers
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.service import ExporterService
from tests.exporter.helpers import GitRepo
from tests.support.scrape import scrape, value


def write(tmp_path, text: str):
    path = tmp_path / "exporter.yaml"
    path.write_text(text)
    return path


def test_a_list_of_repos_alone_is_a_complete_config(tmp_path):
    GitRepo(tmp_path / "a")
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "b")], check=True)  # a bare one is fine too
    cfg = load_config(write(tmp_path, f"repos: [{tmp_path / 'a'}, b]\n"))
    assert cfg.repos == (tmp_path / "a", tmp_path / "b")  # relative paths are taken from the file's folder
    assert cfg.copilot is None and cfg.auth_tokens == () and cfg.scan_interval_seconds == 60


def test_full_config(tmp_path):
    cfg = load_config(
        write(
            tmp_path,
            """
repos: []
identities:
  hash_emails: true
  Alice@Acme.com: {developer_id: alice, team_id: platform}
copilot: {org: acme, token_env: ACME_COPILOT_TOKEN, poll_interval_seconds: 600}
budgets: {platform: 2500}
seat_prices: {copilot: 19, claude-code: 100}
seats: {claude-code: 12}
roi: {hourly_rate_usd: 95, minutes_saved_per_accepted_line: 0.5, minutes_saved_per_assisted_commit: 20}
auth_tokens: [abc]
""",
        )
    )
    assert cfg.copilot.org == "acme" and cfg.copilot.token_env == "ACME_COPILOT_TOKEN"
    assert cfg.copilot.api_url == "https://api.github.com"
    assert cfg.seats == {"claude-code": 12} and cfg.budgets == {"platform": 2500.0}
    ids = IdentityMap(cfg.identities)
    assert ids.resolve("ALICE@acme.com") == ("alice", "platform")
    hashed, team = ids.resolve("bob@acme.com")
    assert team == "" and len(hashed) == 16 and "bob" not in hashed and hashed == ids.resolve("Bob@Acme.com")[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repos: [/does/not/exist]", "repos[0]: /does/not/exist is not a folder; fix the path or remove it"),
        ("repo: [/tmp]", "repo: unknown key; expected one of"),
        ("copilot: {token_env: GITHUB_TOKEN}", "copilot: set copilot.org"),
        ("copilot: {org: acme, token_env: 'ghp_abc 123'}", "copilot.token_env: give the NAME"),
        ("copilot: {org: acme, poll_interval_seconds: soon}", "copilot.poll_interval_seconds: expected a number"),
        ("seat_prices: {windsurf: 15}", "seat_prices.windsurf: unknown agent; use one of claude-code"),
        ("seats: {cursor: 2.5}", "seats.cursor: expected a whole number"),
        ("plan_prices: {max: 100}", "plan_prices.max: unknown plan; use one of pro, max-5x, max-20x"),
        ("budgets: {platform: -1}", "budgets.platform: must be at least 0"),
        ("roi: {hourly_rate: 90}", "roi.hourly_rate: unknown key"),
        ("identities: {alice: {team_id: x}}", "identities.alice: expected an e-mail address"),
        ("- /src/api", "start it with `repos:`"),
        ("repos: [a, b", "line"),
    ],
)
def test_errors_name_the_key_and_the_fix(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert message in str(e.value)
    assert str(path) in str(e.value)


def test_a_folder_that_is_not_a_repository_is_a_config_error(tmp_path):
    repo = GitRepo(tmp_path / "api")
    (repo.path / "src").mkdir()
    for folder in (repo.path / "src", tmp_path / "notes"):
        folder.mkdir(exist_ok=True)
        with pytest.raises(ConfigError) as e:
            load_config(write(tmp_path, f"repos: [{repo.path}, {folder}]\n"))
        assert str(e.value) == (
            f"{tmp_path / 'exporter.yaml'}: repos[1]: {folder} is not a git repository (give the folder that holds"
            " .git); fix the path or remove it from repos (line 1)"
        )


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file; pass --config"):
        load_config(tmp_path / "nope.yaml")


M = load_markers()


@pytest.mark.parametrize(
    ("author", "email", "trailers", "env", "expected"),
    [
        ("A", "a@x", ["Co-Authored-By: Claude <noreply@anthropic.com>"], None, ("claude-code", "trailer")),
        ("A", "a@x", ["Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>"], None, ("claude-code", "trailer")),
        ("A", "a@x", ["co-authored-by: Claude Sonnet 4.5 <noreply@anthropic.com>"], None, ("claude-code", "trailer")),
        ("A", "a@x", ["Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>"], None,
         ("copilot", "trailer")),
        ("copilot-swe-agent[bot]", "198982749+Copilot@users.noreply.github.com", [], None, ("copilot", "trailer")),
        ("A", "a@x", ["Co-authored-by: Codex <noreply@openai.com>"], None, ("codex", "trailer")),
        ("A", "a@x", ["Co-authored-by: Cursor <cursoragent@cursor.com>"], None, ("cursor", "trailer")),
        ("A", "a@x", ["Co-authored-by: aider (openai/gpt-5) <aider@aider.chat>"], None, ("aider", "trailer")),
        ("Jane Doe (aider)", "jane@x", [], None, ("aider", "trailer")),
        ("devin-ai-integration[bot]", "158243242+devin-ai-integration[bot]@users.noreply.github.com", [], None,
         ("devin", "trailer")),
        ("A", "a@x", ["Assisted-by: GitHub Copilot"], None, ("copilot", "trailer")),
        ("A", "a@x", ["Generated-by: Claude Code 2.1"], None, ("claude-code", "trailer")),
        ("A", "a@x", ["Assisted-by: an LLM"], None, ("other-ai", "trailer")),
        ("A", "a@x", ["Signed-off-by: A <a@x>", "Reviewed-by: B <b@x>"], None, ("none", "none")),
        ("A", "a@x", ["Co-authored-by: Bob <bob@x>"], None, ("none", "none")),
        # the environment beats a trailer naming another agent
        ("A", "a@x", ["Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>"],
         {"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": "s"}, ("claude-code", "session")),
        ("A", "a@x", [], {"AI_AGENT": "claude-code_2.1.197_agent"}, ("claude-code", "session")),
        ("A", "a@x", [], {"CODEX_SANDBOX": "seatbelt"}, ("codex", "session")),
        ("A", "a@x", [], {"CURSOR_AGENT": "1"}, ("cursor", "session")),
        ("A", "a@x", [], {"CURSOR_TRACE_ID": "x"}, ("none", "none")),
        ("A", "a@x", [], {"CLAUDECODE": "0"}, ("none", "none")),
        ("A", "a@x", [], {"AI_AGENT": "someagent_1.0_agent"}, ("other-ai", "session")),
    ],
)  # fmt: skip
def test_marker_table(author, email, trailers, env, expected):
    assert M.attribute(author, email, trailers, env) == Attribution(*expected)


def test_budgets_seats_prices_and_roi_become_gauges(tmp_path):
    cfg = parse_config(
        {
            "budgets": {"platform": 2500, "web": 800.5},
            "seat_prices": {"copilot": 19, "claude-code": 100},
            "seats": {"claude-code": 12, "cursor": 3},
            "plan_prices": {"max-5x": 90, "team-premium": 125},
            "roi": {
                "hourly_rate_usd": 95,
                "minutes_saved_per_accepted_line": 0.5,
                "hours_saved_per_week_heavy": 6,
                "output_uplift": 0.1,
            },
        }
    )
    with ExporterService(cfg, port=0, data_dir=tmp_path) as svc:
        m = scrape(f"http://127.0.0.1:{svc.port}")
    assert value(m, "agent_analytics_budget_monthly_usd", team_id="platform") == 2500
    assert value(m, "agent_analytics_budget_monthly_usd", team_id="web") == 800.5
    assert value(m, "agent_analytics_seat_price_monthly_usd", agent="copilot") == 19
    assert value(m, "agent_analytics_seat_price_monthly_usd", agent="claude-code") == 100
    assert value(m, "agent_analytics_seats_paid", agent="claude-code") == 12
    assert value(m, "agent_analytics_seats_paid", agent="cursor") == 3
    # every plan of agent_analytics/vocabulary/plans.yaml: the configured price, else the list price
    prices = {labels["plan"]: v for labels, v in m["agent_analytics_plan_price_monthly_usd"]}
    assert prices == {"pro": 20, "max-5x": 90, "max-20x": 200, "team-standard": 30, "team-premium": 125}
    assert value(m, "agent_analytics_roi_hourly_rate_usd") == 95
    assert value(m, "agent_analytics_roi_minutes_saved_per_accepted_line") == 0.5
    assert "agent_analytics_roi_minutes_saved_per_assisted_commit" not in m  # not configured: no series
    assert value(m, "agent_analytics_roi_hours_saved_per_week_heavy") == 6
    assert value(m, "agent_analytics_roi_output_uplift") == 0.1
    assert "agent_analytics_roi_hours_saved_per_week_light" not in m
