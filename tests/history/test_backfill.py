"""backfill git / claude-logs: exact per-day figures in a real Prometheus, and re-running never doubles."""

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.prometheus

DAY = 86400
D = (int(time.time()) // DAY - 20) * DAY  # a midnight UTC three weeks ago
CLAUDE = "Co-Authored-By: Claude <noreply@anthropic.com>"
COPILOT = "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>"


def cli(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".data"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", *args], capture_output=True, text=True, env=env
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def git(repo: Path, *args: str, at: int | None = None, email: str = "dev@acme.dev") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": email,
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    if at is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{at} +0000"
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def commit(repo: Path, at: int, lines: int, trailer: str = "", email: str = "Dev@Acme.dev", name: str = "f") -> None:
    path = repo / f"{name}.txt"
    path.write_text((path.read_text() if path.exists() else "") + "".join(f"line {at} {i}\n" for i in range(lines)))
    git(repo, "add", path.name)
    message = f"change at {at}" + (f"\n\n{trailer}" if trailer else "")
    git(repo, "commit", "-q", "-m", message, at=at, email=email)


def day_increase(prom: Prometheus, promql_selector: str, day: int) -> float:
    """What the selector's counters added during day `day` (0 = D), summed over series."""
    result = prom.query(f"sum(increase({promql_selector}[1d]))", at=D + (day + 1) * DAY)
    return float(result[0]["value"][1]) if result else 0.0


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "api"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "git@github.com:acme/api.git")
    commit(repo, D + 10 * 3600, 5, CLAUDE)  # day 0: 2 commits, 1 by Claude Code
    commit(repo, D + 14 * 3600, 3, name="g")
    commit(repo, D + DAY + 15 * 3600, 7, COPILOT, email="other@acme.dev")  # day 1
    commit(repo, D + 3 * DAY + 9 * 3600, 2)  # day 3 (day 2 has nothing)
    commit(repo, D + 5 * DAY + 9 * 3600, 11, CLAUDE)  # after --until: not backfilled
    return repo


def test_backfill_git_per_day_exact_and_idempotent(tmp_path, repo):
    tsdb = tmp_path / "tsdb"
    config = tmp_path / "exporter.yaml"
    config.write_text(f"repos: [{repo}]\nidentities:\n  dev@acme.dev: {{developer_id: dev, team_id: core}}\n")
    args = [
        "backfill",
        "git",
        str(repo),
        "--config",
        str(config),
        "--until",
        str(D + 4 * DAY),
        "--prometheus-data",
        str(tsdb),
    ]
    first = cli(*args, home=tmp_path)
    assert "github.com/acme/api: 4 commits backfilled up to" in first.stdout
    cli(*args, home=tmp_path)  # the same history again

    with Prometheus(data_dir=tsdb, extra_args=["--storage.tsdb.retention.time=400d"]) as prom:
        commits = 'agent_analytics_git_commits_total{source="backfill"}'
        assert [day_increase(prom, commits, d) for d in range(4)] == [2, 1, 0, 1]
        claude = 'agent_analytics_git_commits_total{source="backfill",agent="claude-code",evidence="trailer"}'
        assert [day_increase(prom, claude, d) for d in range(4)] == [1, 0, 0, 0]
        copilot = (
            'agent_analytics_git_lines_added_total{source="backfill",agent="copilot",developer_id="other@acme.dev"}'
        )
        assert [day_increase(prom, copilot, d) for d in range(4)] == [0, 7, 0, 0]
        mine = 'agent_analytics_git_lines_added_total{source="backfill",developer_id="dev",team_id="core",'
        mine += 'repo="github.com/acme/api"}'
        assert [day_increase(prom, mine, d) for d in range(4)] == [8, 0, 0, 2]
        files = 'agent_analytics_git_files_changed_total{source="backfill"}'
        assert [day_increase(prom, files, d) for d in range(4)] == [2, 1, 0, 1]
        # Nothing at or after --until; the counters end there holding the totals.
        assert prom.query(f"sum({commits})", at=D + 4 * DAY)[0]["value"][1] == "4"
        assert prom.query(f"sum({commits})", at=D + 5 * DAY + 12 * 3600) == []


def transcript_line(
    kind: str, at: int, session: str, msg_id: str = "", request: str = "", model: str = "", **usage
) -> str:
    entry = {
        "type": kind,
        "timestamp": datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z"),
        "sessionId": session,
    }
    if kind == "assistant":
        entry["requestId"] = request
        entry["message"] = {"id": msg_id, "model": model, "role": "assistant", "usage": usage}
    else:
        entry["message"] = {"role": "user", "content": "hello"}
    return json.dumps(entry)


def usage(i: int, o: int, cr: int, cc: int) -> dict:
    return {"input_tokens": i, "output_tokens": o, "cache_read_input_tokens": cr, "cache_creation_input_tokens": cc}


def price(model: str, at: int, i: int, o: int, cr: int, cc: int, cc_1h: int = 0) -> float:
    u = Usage(
        input_tokens=i + cr + cc,
        output_tokens=o,
        cache_read_tokens=cr,
        cache_write_tokens=cc,
        cache_write_1h_tokens=cc_1h,
    )
    return float(
        calc_price(
            u, model, provider_id="anthropic", genai_request_timestamp=datetime.fromtimestamp(at, UTC)
        ).total_price
    )


def test_backfill_claude_logs_per_day_exact_and_idempotent(tmp_path):
    root = tmp_path / "projects"
    (root / "-work-api").mkdir(parents=True)
    (root / "-work-web").mkdir()
    t1, t2, t3, t4 = D + 10 * 3600, D + 11 * 3600, D + DAY + 9 * 3600, D + 6 * DAY
    m1 = usage(12, 120, 3000, 400)
    m2 = usage(30, 80, 5000, 0)
    # cache writes split by lifetime, as Claude Code writes them: the 1-hour ones cost more
    m3 = {
        **usage(7, 50, 1000, 200),
        "cache_creation": {"ephemeral_5m_input_tokens": 50, "ephemeral_1h_input_tokens": 150},
    }
    (root / "-work-api" / "s1.jsonl").write_text(
        "\n".join(
            [
                transcript_line("user", t1 - 5, "s1"),
                # one message streamed as two lines: counted once, with its final output count
                transcript_line(
                    "assistant", t1, "s1", "msg_1", "req_1", "claude-sonnet-4-5", **{**m1, "output_tokens": 5}
                ),
                transcript_line("assistant", t1 + 1, "s1", "msg_1", "req_1", "claude-sonnet-4-5", **m1),
                "{not json",
                transcript_line("assistant", t2, "s1", "msg_2", "req_2", "claude-opus-4-5[1m]", **m2),
                transcript_line("assistant", t2 + 2, "s1", "msg_s", "req_s", "<synthetic>", **usage(0, 0, 0, 0)),
            ]
        )
        + "\n"
    )
    (root / "-work-web" / "s2.jsonl").write_text(
        "\n".join(
            [
                # a resumed session repeats earlier messages
                transcript_line("assistant", t2, "s1", "msg_2", "req_2", "claude-opus-4-5[1m]", **m2),
                transcript_line("assistant", t3, "s2", "msg_3", "req_3", "claude-sonnet-4-5", **m3),
                transcript_line("assistant", t4, "s2", "msg_4", "req_4", "claude-sonnet-4-5", **m3),  # after --until
            ]
        )
        + "\n"
    )
    tsdb = tmp_path / "tsdb"
    args = ["backfill", "claude-logs", str(root), "--developer-id", "dev@acme.dev", "--team", "core"]
    args += ["--until", str(D + 5 * DAY), "--prometheus-data", str(tsdb)]
    out = cli(*args, home=tmp_path).stdout
    assert "3 messages from 2 files" in out and "1 unreadable lines, 1 synthetic" in out
    cli(*args, home=tmp_path)

    with Prometheus(data_dir=tsdb, extra_args=["--storage.tsdb.retention.time=400d"]) as prom:
        tokens = 'claude_code_token_usage_tokens_total{{source="backfill",developer_id="dev@acme.dev",'
        tokens += 'team_id="core",type="{}"}}'
        per_type = {
            "input": [12 + 30, 7],
            "output": [120 + 80, 50],
            "cacheRead": [3000 + 5000, 1000],
            "cacheCreation": [400, 200],
        }
        for kind, expected in per_type.items():
            assert [day_increase(prom, tokens.format(kind), d) for d in range(2)] == expected, kind
        cost = 'claude_code_cost_usage_USD_total{source="backfill"}'
        day0 = price("claude-sonnet-4-5", t1, 12, 120, 3000, 400) + price("claude-opus-4-5", t2, 30, 80, 5000, 0)
        day1 = price("claude-sonnet-4-5", t3, 7, 50, 1000, 200, cc_1h=150)
        # Anthropic's rates for Sonnet 4.5 per million tokens: input 3, output 15, cache read 0.30,
        # 5-minute cache write 3.75, 1-hour cache write 6
        assert day1 == pytest.approx((7 * 3 + 50 * 15 + 1000 * 0.3 + 50 * 3.75 + 150 * 6) / 1e6, rel=1e-12)
        assert day_increase(prom, cost, 0) == pytest.approx(day0, rel=1e-12)
        assert day_increase(prom, cost, 1) == pytest.approx(day1, rel=1e-12)
        assert day_increase(prom, 'claude_code_cost_usage_USD_total{model="claude-opus-4-5"}', 0) == pytest.approx(
            price("claude-opus-4-5", t2, 30, 80, 5000, 0), rel=1e-12
        )
        sessions = 'claude_code_session_count_total{source="backfill"}'
        assert [day_increase(prom, sessions, d) for d in range(3)] == [1, 1, 0]
        assert prom.query("sum(claude_code_token_usage_tokens_total)", at=D + 6 * DAY + 3600) == []


def test_backfill_claude_logs_counts_a_line_with_unreadable_usage_as_unreadable(tmp_path):
    root = tmp_path / "projects" / "-work-api"
    root.mkdir(parents=True)
    bad = {**usage(1, 2, 3, 4), "input_tokens": "abc"}
    bad_split = {**usage(1, 2, 3, 4), "cache_creation": {"ephemeral_1h_input_tokens": float("inf")}}
    (root / "s1.jsonl").write_text(
        "\n".join(
            [
                transcript_line("assistant", D + 3600, "s1", "msg_1", "req_1", "claude-sonnet-4-5", **bad),
                transcript_line("assistant", D + 7200, "s1", "msg_2", "req_2", "claude-sonnet-4-5", **bad_split),
                transcript_line(
                    "assistant", D + 9000, "s1", "msg_3", "req_3", "claude-sonnet-4-5", **usage(1, 2, 3, 4)
                ),
            ]
        )
        + "\n"
    )
    args = ["backfill", "claude-logs", str(tmp_path / "projects"), "--developer-id", "dev@acme.dev"]
    result = cli(
        *args, "--until", str(D + DAY), "--prometheus-data", str(tmp_path / "tsdb"), home=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "1 messages from 1 files" in result.stdout and "2 unreadable lines" in result.stdout


def test_backfill_errors_are_one_line(tmp_path):
    result = cli("backfill", "git", str(tmp_path), "--prometheus-data", str(tmp_path / "t"), home=tmp_path, check=False)
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0
    assert "is not a git repository" in result.stderr
    result = cli("backfill", "claude-logs", str(tmp_path / "nope"), home=tmp_path, check=False)
    assert result.returncode == 1 and "is not a folder" in result.stderr


def test_backfill_names_a_bad_tsdb_path_and_a_bad_config_once(tmp_path, repo):
    not_a_folder = tmp_path / "prometheus.yml"
    not_a_folder.write_text("global: {}\n")
    args = ["--until", str(D + 5 * DAY), "--prometheus-data", str(not_a_folder)]
    for command in (["git", str(repo)], ["claude-logs", str(tmp_path)]):
        result = cli("backfill", *command, *args, home=tmp_path, check=False)
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"error: {not_a_folder} is not a folder: give the Prometheus TSDB folder (its --storage.tsdb.path)"
        )
    config = tmp_path / "exporter.yaml"
    config.write_text("seats: {cursor: 2.5}\n")
    result = cli("backfill", "git", str(repo), "--config", str(config), *args, home=tmp_path, check=False)
    assert result.returncode == 2  # a config mistake, as in every command
    assert result.stderr.strip() == f"error: {config}: seats.cursor: expected a whole number, got 2.5 (line 1)"
