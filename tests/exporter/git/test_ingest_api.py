"""The git hook's ingest API over HTTP: auth, validation messages, size limit, idempotence."""

import json
import time

import httpx
import pytest

from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from tests.support import loopback
from tests.support.scrape import scrape, value


def commit(sha: str = "c" * 40, **over) -> dict:
    body = {
        "repo": "github.com/acme/api",
        "sha": sha,
        "author_name": "Dev One",
        "author_email": "dev.one@example.com",
        "authored_at": int(time.time()) - 60,
        "committed_at": int(time.time()),  # made just now: the live counters count it
        "lines_added": 10,
        "lines_deleted": 2,
        "files_changed": 3,
        "trailers": [],
        "author_is_bot": False,
        "agent_env": {},
    }
    body.update(over)
    return body


@pytest.fixture
def exporter(tmp_path):
    cfg = parse_config({"auth_tokens": ["t0ken-one", "t0ken-two"], "ingest_max_bytes": 4096})
    with ExporterService(cfg, port=0, data_dir=tmp_path / "d") as svc:
        yield f"http://127.0.0.1:{svc.port}"


def post(base: str, body, token: str | None = "t0ken-one", **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if isinstance(body, bytes | str):
        return loopback.post(f"{base}/api/v1/commits", content=body, headers=headers, **kw)
    return loopback.post(f"{base}/api/v1/commits", json=body, headers=headers, **kw)


def test_auth_missing_or_wrong_token_is_401(exporter):
    for token in (None, "nope"):
        r = post(exporter, {"commits": [commit()]}, token=token)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in r.json()["detail"]
    assert post(exporter, {"commits": [commit()]}, token="t0ken-two").json() == {"accepted": 1, "duplicates": 0}
    m = scrape(exporter)
    assert value(m, "agent_analytics_git_commits_total", agent="none", evidence="none") == 1  # 401s stored nothing
    assert value(m, "agent_analytics_ingest_requests_total", code="401") == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"commits": [commit(sha="abc123")]}, "commits[0].sha: must be the full 40-character hexadecimal commit id"),
        ({"commits": [commit(committed_at="yesterday")]}, "commits[0].committed_at: must be unix seconds"),
        ({"commits": [commit(), {k: v for k, v in commit("d" * 40).items() if k != "author_email"}]},
         "commits[1].author_email: is required"),
        ({"commits": [commit(lines_added=-1)]}, "commits[0].lines_added: input should be greater than or equal to 0"),
        ({"commits": [commit(agent_env=["CLAUDECODE=1"])]}, "commits[0].agent_env: input should be a valid dictionary"),
        ({"commits": [commit(sha=f"{i:040x}") for i in range(1001)]}, "commits: at most 1000 commits per request"),
        ({"commit": []}, 'body must be a JSON object {"commits": [...]}'),
        ("{not json", "body is not valid JSON"),
    ],
)  # fmt: skip
def test_validation_errors_are_422_with_a_message_that_says_what_to_fix(tmp_path, body, message):
    cfg = parse_config({"ingest_max_bytes": 1_000_000})
    with ExporterService(cfg, port=0, data_dir=tmp_path / "d") as svc:
        r = post(f"http://127.0.0.1:{svc.port}", body, token=None)
        assert r.status_code == 422, r.text
        assert message in r.json()["detail"]
        # nothing of a rejected batch is stored, not even its valid commits
        assert (
            value(scrape(f"http://127.0.0.1:{svc.port}"), "agent_analytics_ingest_commits_total", result="accepted")
            == 0
        )


def test_body_over_the_limit_is_413(exporter):
    big = {"commits": [commit(sha=f"{i:040x}") for i in range(20)]}
    assert len(json.dumps(big)) > 4096
    r = post(exporter, big)
    assert r.status_code == 413 and "fewer commits per request" in r.json()["detail"]

    def chunks():  # no Content-Length: the limit holds on the streamed body too
        yield json.dumps(big).encode()

    r = loopback.post(f"{exporter}/api/v1/commits", content=chunks(), headers={"Authorization": "Bearer t0ken-one"})
    assert r.status_code == 413
    assert value(scrape(exporter), "agent_analytics_ingest_requests_total", code="413") == 2


def test_reposting_and_duplicates_in_one_batch_count_once(exporter):
    batch = {"commits": [commit("e" * 40), commit("E" * 40), commit("f" * 40, lines_added=5)]}
    assert post(exporter, batch).json() == {"accepted": 2, "duplicates": 1}  # sha is case-insensitive
    assert post(exporter, batch).json() == {"accepted": 0, "duplicates": 3}
    assert post(exporter, {"commits": []}).json() == {"accepted": 0, "duplicates": 0}
    m = scrape(exporter)
    labels = {"repo": "github.com/acme/api", "developer_id": "dev.one@example.com", "agent": "none"}
    assert value(m, "agent_analytics_git_commits_total", **labels) == 2
    assert value(m, "agent_analytics_git_lines_added_total", **labels) == 15
    assert value(m, "agent_analytics_git_files_changed_total", **labels) == 6
    assert value(m, "agent_analytics_ingest_commits_total", result="duplicate") == 4


def test_session_evidence_from_the_agent_environment(exporter):
    batch = {
        "commits": [
            commit("1" * 40, agent_env={"CLAUDECODE": "1", "CLAUDE_CODE_SESSION_ID": "abc"}),
            commit("2" * 40, agent_env={"GEMINI_CLI": "1"}),
            commit("3" * 40, agent_env={"CURSOR_TRACE_ID": "t-1"}),  # a person in Cursor's terminal
            commit("4" * 40, agent_env={"AI_AGENT": "codex_0.9_agent"}),
            commit("5" * 40, trailers=["Co-authored-by: Cursor <cursoragent@cursor.com>"]),
        ]
    }
    assert post(exporter, batch).json() == {"accepted": 5, "duplicates": 0}
    m = scrape(exporter)
    assert value(m, "agent_analytics_git_commits_total", agent="claude-code", evidence="session") == 1
    assert value(m, "agent_analytics_git_commits_total", agent="gemini-cli", evidence="session") == 1
    assert value(m, "agent_analytics_git_commits_total", agent="codex", evidence="session") == 1
    assert value(m, "agent_analytics_git_commits_total", agent="cursor", evidence="trailer") == 1
    assert value(m, "agent_analytics_git_commits_total", agent="none", evidence="none") == 1


def test_healthz(exporter):
    r = loopback.get(f"{exporter}/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["commits"] == 0


def test_workstation_ids_label_hook_commits_unless_the_config_maps_the_author(tmp_path):
    """The hook sends the developer_id/team_id that `init` gave Claude Code's telemetry, so
    commits and spend join on the same labels; the exporter's identities config still wins."""
    cfg = parse_config({"identities": {"mapped@example.com": {"developer_id": "mapped", "team_id": "core"}}})
    batch = {
        "commits": [
            commit("a" * 40, developer_id="Dev.One@Example.com", team_id="platform", lines_added=7),
            commit("b" * 40, author_email="mapped@example.com", developer_id="other", team_id="payments"),
            commit("c" * 40, author_email="quiet@example.com"),  # an older hook: no ids
        ]
    }
    with ExporterService(cfg, port=0, data_dir=tmp_path / "d") as svc:
        base = f"http://127.0.0.1:{svc.port}"
        assert post(base, batch, token=None).json() == {"accepted": 3, "duplicates": 0}
        first = scrape(base)
    with ExporterService(cfg, port=0, data_dir=tmp_path / "d") as svc:  # restart: same labels, same values
        again = scrape(f"http://127.0.0.1:{svc.port}")
    for m in (first, again):
        assert (
            value(m, "agent_analytics_git_commits_total", developer_id="dev.one@example.com", team_id="platform") == 1
        )
        assert value(m, "agent_analytics_git_lines_added_total", team_id="platform") == 7
        assert value(m, "agent_analytics_git_commits_total", developer_id="mapped", team_id="core") == 1
        assert value(m, "agent_analytics_git_commits_total", developer_id="quiet@example.com", team_id="") == 1
        assert value(m, "agent_analytics_git_commits_total", team_id="payments") is None
