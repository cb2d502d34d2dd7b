"""Copilot usage metrics and seats, polled from a fake GitHub that speaks the documented wire shapes."""

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from agent_analytics.exporter.config import parse_config
from agent_analytics.exporter.service import ExporterService
from agent_analytics.exporter.vendors.copilot.exposition import CopilotExposition
from agent_analytics.exporter.vendors.copilot.poller import CopilotPoller
from tests.support.fake_github import FakeGitHub, Reply
from tests.support.scrape import parse, scrape, total, value

TOKEN_ENV = "AA_TEST_COPILOT_TOKEN"
TODAY = datetime.now(UTC).date()
D1, D2, D3 = (TODAY - timedelta(days=k) for k in (1, 2, 3))
ORG = "/orgs/acme"
ENT = "/enterprises/bigco"
C = "agent_analytics_copilot_"


def measures(gen, acc, interactions, sugg, added, deleted):
    return {
        "code_generation_activity_count": gen,
        "code_acceptance_activity_count": acc,
        "user_initiated_interaction_count": interactions,
        "loc_suggested_to_add_sum": sugg,
        "loc_suggested_to_delete_sum": 0,
        "loc_added_sum": added,
        "loc_deleted_sum": deleted,
    }


ORG_RECORD = {
    "day": str(D2),
    "organization_id": "42",
    "daily_active_users": 12,
    "weekly_active_users": 20,
    "monthly_active_users": 31,
    **measures(300, 120, 140, 900, 400, 30),
    "loc_suggested_to_delete_sum": 50,
    "totals_by_ide": [
        {"ide": "vscode", **measures(200, 90, 100, 600, 300, 20)},
        {"ide": "jetbrains", **measures(100, 30, 40, 300, 100, 10)},
    ],
    "totals_by_feature": [
        {"feature": "code_completion", **measures(250, 110, 0, 700, 300, 0)},
        {"feature": "chat_panel_agent_mode", **measures(50, 10, 140, 200, 100, 30)},
    ],
    "totals_by_language_feature": [
        {"language": "python", "feature": "code_completion", **measures(150, 60, 0, 400, 150, 0)},
        {"language": "python", "feature": "chat_panel_agent_mode", **measures(30, 5, 70, 100, 60, 20)},
        {"language": "go", "feature": "code_completion", **measures(100, 50, 0, 300, 150, 0)},
        {"language": "rust", "feature": "code_completion", **measures(20, 5, 0, 100, 40, 10)},
    ],
    "totals_by_language_model": [
        {"language": "python", "model": "gpt-4.1", **measures(180, 65, 70, 500, 210, 20)},
        {"language": "go", "model": "claude-sonnet-4", **measures(120, 55, 70, 400, 190, 10)},
    ],
    "pull_requests": {"total_created": 10, "total_created_by_copilot": 3, "total_reviewed_by_copilot": 5},
}

USERS = [
    {"day": str(D2), "user_id": 1, "user_login": "alice", "used_agent": True, "used_chat": True, "used_cli": False,
     "ai_credits_used": 2.5, **measures(40, 20, 10, 100, 50, 5)},
    {"day": str(D2), "user_id": 2, "user_login": "bob", "used_agent": False, "used_chat": True, "used_cli": False,
     "ai_credits_used": 1.0, **measures(30, 10, 5, 80, 30, 2)},
    {"day": str(D2), "user_id": 3, "user_login": "carol", "used_agent": False, "used_chat": False, "used_cli": True,
     "ai_credits_used": 0, **measures(20, 5, 3, 60, 20, 1)},
    {"day": str(D2), "user_id": 4, "user_login": "dave", "used_agent": False, "used_chat": False, "used_cli": False,
     "ai_credits_used": 4, **measures(10, 1, 1, 10, 5, 0)},
]  # fmt: skip
USER_TEAMS = [
    {"day": str(D2), "user_id": 1, "user_login": "alice", "team_id": 7, "team_slug": "platform"},
    {"day": str(D2), "user_id": 2, "user_login": "bob", "team_id": 7, "team_slug": "platform"},
    {"day": str(D2), "user_id": 3, "user_login": "carol", "team_id": 8, "team_slug": "web"},
    {"day": str(D2), "user_id": 1, "user_login": "alice", "team_id": 8, "team_slug": "web"},
]
REPOS = [
    {"day": str(D2), "repository": "acme/api", "pull_requests": {"total_created": 4, "total_created_by_copilot": 1},
     **measures(30, 10, 0, 90, 40, 3)},
    {"day": str(D2), "repository": "acme/web", "pull_requests": {"total_created": 2, "total_created_by_copilot": 2},
     **measures(10, 4, 0, 20, 10, 1)},
]  # fmt: skip


def iso_days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


SEATS = [
    {"assignee": {"login": "alice"}, "plan_type": "business", "last_activity_at": iso_days_ago(1),
     "last_activity_editor": "vscode", "assigning_team": {"slug": "platform", "name": "Platform"}},
    {"assignee": {"login": "bob"}, "plan_type": "business", "last_activity_at": iso_days_ago(10),
     "assigning_team": {"slug": "platform"}},
    {"assignee": {"login": "carol"}, "plan_type": "business", "last_activity_at": iso_days_ago(40)},
    {"assignee": {"login": "dave"}, "plan_type": "business", "last_activity_at": None,
     "assigning_team": {"slug": "web"}},
    {"assignee": {"login": "erin"}, "plan_type": "enterprise", "last_activity_at": iso_days_ago(100),
     "assigning_team": {"slug": "web"}},
]  # fmt: skip
BILLING = {
    "seat_breakdown": {
        "total": 5,
        "active_this_cycle": 3,
        "inactive_this_cycle": 2,
        "added_this_cycle": 1,
        "pending_invitation": 0,
        "pending_cancellation": 1,
    },
    "seat_management_setting": "assign_selected",
    "plan_type": "business",
}


def script_org(fake: FakeGitHub) -> None:
    """Yesterday not ready (204); the day before complete; seats on three pages."""
    fake.report(ORG, "organization-1-day", D1, None)
    fake.report(ORG, "organization-1-day", D2, [[ORG_RECORD]])
    fake.report(ORG, "users-1-day", D1, None)
    fake.report(ORG, "users-1-day", D2, [USERS[:2], USERS[2:]])  # two NDJSON files behind two links
    fake.report(ORG, "user-teams-1-day", D2, [USER_TEAMS])
    fake.report(ORG, "repos-1-day", D1, None)
    fake.report(ORG, "repos-1-day", D2, [REPOS])
    fake.route(f"{ORG}/copilot/billing", Reply(200, BILLING))
    fake.seats(ORG, SEATS, page_size=2)


def poller(fake: FakeGitHub, **copilot) -> CopilotPoller:
    cfg = parse_config(
        {
            "copilot": {
                "org": "acme",
                "api_url": fake.url,
                "token_env": TOKEN_ENV,
                "max_backoff_seconds": 0.2,
                "max_retries": 2,
                "max_label_values": 2,
                **copilot,
            }
        }
    )
    return CopilotPoller(cfg.copilot)


def metrics_of(p: CopilotPoller) -> dict:
    registry = CollectorRegistry()
    registry.register(CopilotExposition(p))
    return parse(generate_latest(registry).decode())


@pytest.fixture
def fake(monkeypatch):
    with FakeGitHub() as server:
        monkeypatch.setenv(TOKEN_ENV, server.token)
        yield server


def midnight(day) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def test_org_reports_and_seats_become_series(fake, tmp_path):
    script_org(fake)
    cfg = parse_config(
        {
            "copilot": {"org": "acme", "api_url": fake.url, "token_env": TOKEN_ENV, "max_label_values": 2},
        }
    )
    with ExporterService(cfg, port=0, data_dir=tmp_path, poll=False) as svc:
        assert svc.poll_now() is True
        m = scrape(f"http://127.0.0.1:{svc.port}")

    s = {"scope": "org/acme"}
    assert value(m, C + "daily_active_users", **s) == 12
    assert value(m, C + "weekly_active_users", **s) == 20
    assert value(m, C + "monthly_active_users", **s) == 31
    assert value(m, C + "user_initiated_interactions", **s) == 140
    assert value(m, C + "code_generation_activities", **s) == 300
    assert value(m, C + "code_acceptance_activities", **s) == 120
    assert value(m, C + "loc_suggested_to_add", **s) == 900
    assert value(m, C + "loc_suggested_to_delete", **s) == 50
    assert value(m, C + "loc_added", **s) == 400
    assert value(m, C + "loc_deleted", **s) == 30
    assert value(m, C + "pull_requests", kind="total_created_by_copilot", **s) == 3
    assert value(m, C + "report_day_timestamp_seconds", report="organization-1-day", **s) == midnight(D2)
    assert value(m, C + "report_day_timestamp_seconds", report="users-1-day", **s) == midnight(D2)

    # breakdowns; max_label_values=2 folds the smallest language (rust) into "other"
    assert value(m, C + "code_generation_activities_by_ide", ide="vscode", **s) == 200
    assert value(m, C + "loc_added_by_ide", ide="jetbrains", **s) == 100
    assert value(m, C + "code_acceptance_activities_by_feature", feature="code_completion", **s) == 110
    assert value(m, C + "code_generation_activities_by_language", language="python", **s) == 180
    assert value(m, C + "code_generation_activities_by_language", language="go", **s) == 100
    assert value(m, C + "code_generation_activities_by_language", language="other", **s) == 20
    assert value(m, C + "code_generation_activities_by_language", language="rust", **s) is None
    assert value(m, C + "loc_added_by_model", model="claude-sonnet-4", **s) == 190

    # users x user-teams (alice is in two teams and counts in both)
    assert value(m, C + "active_users_by_surface", surface="agent", **s) == 1
    assert value(m, C + "active_users_by_surface", surface="chat", **s) == 2
    assert value(m, C + "active_users_by_surface", surface="cli", **s) == 1
    assert value(m, C + "ai_credits_used", **s) == 7.5
    assert value(m, C + "team_active_users", team="platform", **s) == 2
    assert value(m, C + "team_active_users", team="web", **s) == 2
    assert value(m, C + "team_code_generation_activities", team="platform", **s) == 70
    assert value(m, C + "team_code_generation_activities", team="web", **s) == 60
    assert value(m, C + "team_ai_credits_used", team="platform", **s) == 3.5
    assert value(m, C + "team_ai_credits_used", team="web", **s) == 2.5

    # repositories
    assert value(m, C + "repo_pull_requests", repo="acme/api", kind="total_created", **s) == 4
    assert value(m, C + "repo_code_generation_activities", repo="acme/web", **s) == 10

    # seats: billing breakdown, all three pages of the list, idle windows, teams
    assert value(m, C + "seats", state="total", **s) == 5
    assert value(m, C + "seats", state="pending_cancellation", **s) == 1
    assert value(m, C + "seats_by_plan", plan_type="business", **s) == 4
    assert value(m, C + "seats_never_used", **s) == 1
    assert value(m, C + "seats_idle", days="7", **s) == 4
    assert value(m, C + "seats_idle", days="30", **s) == 3
    assert value(m, C + "seats_idle", days="90", **s) == 2
    assert value(m, C + "team_seats", team="platform", **s) == 2
    assert value(m, C + "team_seats_idle", team="platform", days="7", **s) == 1
    assert value(m, C + "team_seats_idle", team="platform", days="30", **s) == 0
    assert value(m, C + "team_seats_idle", team="web", days="90", **s) == 2
    assert fake.count(f"{ORG}/copilot/billing/seats") == 3

    assert value(m, C + "up", **s) == 1
    assert abs(value(m, C + "last_success_timestamp_seconds", **s) - time.time()) < 60
    assert m.get(C + "poll_errors_total", []) == []

    # the wire: API version header and token on API calls, no token on the signed links
    api = [r for r in fake.requests if not r.path.startswith("/downloads/")]
    downloads = [r for r in fake.requests if r.path.startswith("/downloads/")]
    assert api and all(r.headers.get("x-github-api-version") == "2026-03-10" for r in api)
    assert all(r.headers.get("authorization") == f"Bearer {fake.token}" for r in api)
    assert len(downloads) == 5 and all("authorization" not in r.headers for r in downloads)


def test_28_day_report_stands_in_when_no_daily_report_is_ready(fake):
    for d in (D1, D2, D3):
        fake.report(ORG, "organization-1-day", d, None)
        fake.report(ORG, "users-1-day", d, None)
        fake.report(ORG, "repos-1-day", d, None)
    older = {**ORG_RECORD, "day": str(TODAY - timedelta(days=5)), "daily_active_users": 9}
    newest = {**ORG_RECORD, "day": str(TODAY - timedelta(days=4)), "daily_active_users": 11}
    fake.report(ORG, "organization-28-day", None, [[older, newest]], report_day=str(TODAY - timedelta(days=4)))
    fake.route(f"{ORG}/copilot/billing", Reply(200, BILLING))
    fake.seats(ORG, SEATS, page_size=10)
    p = poller(fake)
    assert p.poll() is True
    m = metrics_of(p)
    assert value(m, C + "daily_active_users", scope="org/acme") == 11
    assert value(m, C + "report_day_timestamp_seconds", report="organization-28-day") == midnight(
        TODAY - timedelta(days=4)
    )
    assert fake.count(f"{ORG}/copilot/metrics/reports/organization-1-day?day=") == 3  # the last 3 days, each poll


def test_429_with_retry_after_and_5xx_are_retried(fake):
    script_org(fake)
    (ok,) = fake.replies(f"{ORG}/copilot/metrics/reports/organization-1-day?day={D2}")
    fake.route(
        f"{ORG}/copilot/metrics/reports/organization-1-day?day={D2}",
        Reply(429, {"message": "API rate limit exceeded"}, {"Retry-After": "30"}),
        Reply(502, "Bad gateway"),
        ok,
    )
    fake.route(
        f"{ORG}/copilot/billing",
        Reply(403, {"message": "You have exceeded a secondary rate limit"},
              {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)}),
        Reply(200, BILLING),
    )  # fmt: skip
    p = poller(fake)
    started = time.monotonic()
    assert p.poll() is True
    assert time.monotonic() - started < 10  # Retry-After 30 s, capped by max_backoff_seconds
    m = metrics_of(p)
    assert value(m, C + "daily_active_users", scope="org/acme") == 12
    assert value(m, C + "seats", scope="org/acme", state="total") == 5
    assert fake.count(f"{ORG}/copilot/metrics/reports/organization-1-day?day={D2}") == 3
    assert (
        fake.count(f"{ORG}/copilot/billing?")
        + fake.count(f"{ORG}/copilot/billing")
        - fake.count(f"{ORG}/copilot/billing/seats")
        == 2
    )
    assert m.get(C + "poll_errors_total", []) == []


def test_a_failed_poll_keeps_the_last_good_values_and_counts_the_error(fake):
    script_org(fake)
    p = poller(fake)
    assert p.poll() is True
    first = metrics_of(p)
    good_at = value(first, C + "last_success_timestamp_seconds", scope="org/acme")

    fake.route(f"{ORG}/copilot/metrics/reports/organization-1-day?day={D1}", Reply(500, {"message": "boom"}))
    fake.route(f"{ORG}/copilot/billing", Reply(403, {"message": "Resource not accessible by integration"}))
    before = fake.count(f"{ORG}/copilot/metrics/reports/organization-1-day?day={D1}")
    assert p.poll() is False
    m = metrics_of(p)
    assert fake.count(f"{ORG}/copilot/metrics/reports/organization-1-day?day={D1}") - before == 3  # 1 + 2 retries
    assert value(m, C + "poll_errors_total", endpoint="organization-1-day", reason="server_error") == 1
    assert value(m, C + "poll_errors_total", endpoint="billing", reason="forbidden") == 1
    assert value(m, C + "up", scope="org/acme") == 0
    assert value(m, C + "last_success_timestamp_seconds", scope="org/acme") == good_at
    # last good values stay
    assert value(m, C + "daily_active_users", scope="org/acme") == 12
    assert value(m, C + "seats_idle", scope="org/acme", days="30") == 3
    assert value(m, C + "report_day_timestamp_seconds", scope="org/acme", report="organization-1-day") == midnight(D2)


def test_bad_token_missing_token_and_bad_payload_are_clean_errors(fake, monkeypatch, caplog):
    script_org(fake)
    fake.report(ORG, "repos-1-day", D2, [])
    fake.route(
        f"{ORG}/copilot/metrics/reports/repos-1-day?day={D2}",
        Reply(200, {"download_links": [fake.file("broken.ndjson", '{"day": "x"}\nnot json at all\n')],
                    "report_day": str(D2)}),
    )  # fmt: skip
    caplog.set_level(logging.DEBUG)
    p = poller(fake)
    assert p.poll() is False
    m = metrics_of(p)
    assert value(m, C + "poll_errors_total", endpoint="download", reason="bad_payload") == 1
    assert value(m, C + "daily_active_users", scope="org/acme") == 12  # the other sections still update

    monkeypatch.setenv(TOKEN_ENV, "ghp_wrong_token_value")
    assert p.poll() is False
    assert value(metrics_of(p), C + "poll_errors_total", endpoint="organization-1-day", reason="unauthorized") == 1

    monkeypatch.setenv(TOKEN_ENV, "")
    assert p.poll() is False
    assert value(metrics_of(p), C + "poll_errors_total", endpoint="token", reason="no_token") == 1

    # the token never reaches a log line or the metrics
    assert fake.token not in caplog.text and "ghp_wrong_token_value" not in caplog.text
    assert fake.token not in generate_latest_text(p)


def generate_latest_text(p: CopilotPoller) -> str:
    registry = CollectorRegistry()
    registry.register(CopilotExposition(p))
    return generate_latest(registry).decode()


def test_enterprise_scope_uses_enterprise_reports_and_the_seat_list(fake):
    record = {**ORG_RECORD, "enterprise_id": "9", "daily_active_users": 120}
    fake.report(ENT, "enterprise-1-day", D1, [[record]])
    fake.report(ENT, "users-1-day", D1, [USERS])
    fake.report(ENT, "user-teams-1-day", D1, None)
    fake.report(ENT, "repos-1-day", D1, [REPOS])
    fake.seats(ENT, SEATS, page_size=4)
    cfg = parse_config(
        {"copilot": {"enterprise": "bigco", "api_url": fake.url, "token_env": TOKEN_ENV, "max_backoff_seconds": 0.1}}
    )
    p = CopilotPoller(cfg.copilot)
    assert p.poll() is True
    m = metrics_of(p)
    s = {"scope": "enterprise/bigco"}
    assert value(m, C + "daily_active_users", **s) == 120
    assert value(m, C + "report_day_timestamp_seconds", report="enterprise-1-day", **s) == midnight(D1)
    assert value(m, C + "seats", state="total", **s) == 5
    assert value(m, C + "ai_credits_used", **s) == 7.5
    assert total(m, C + "team_active_users") == 0  # no user-teams report that day: no team figures
    assert fake.count(f"{ENT}/copilot/billing/seats") == 2
