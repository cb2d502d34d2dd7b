"""The status line bridge `init` puts in Claude Code's `statusLine`, run as Claude Code runs it
(`/bin/sh -c <command>`, the status line JSON on stdin): the developer's own command prints the
same bytes and exits the same way through it, with the collector up, down or hanging; at most
once a minute the plan limits reach the embedded collector as gauges; `statusline uninstall`
puts the developer's own status line back exactly; `doctor` says whether the bridge is in place
and when it last sent.

The input is status line JSON recorded from Claude Code 2.1.332 (tests/fixtures/claude-code/
statusline/README.md says how)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from agent_analytics.collector.config import load_config
from agent_analytics.collector.service import CollectorService
from agent_analytics.workstation import statusline_install, statusline_sender
from tests.support.net import free_port, wait_until
from tests.support.scrape import scrape
from tests.support.workstation import cli, isolated_home

FIXTURES = Path(__file__).parents[1] / "fixtures" / "claude-code" / "statusline"
RECORDED = (FIXTURES / "rate-limits.json").read_bytes()  # what the client wrote on the status line's stdin
RECORDED_LIMITS = json.loads(RECORDED)["rate_limits"]
DEVELOPER, TEAM, PLAN = "ana@example.com", "payments", "max-5x"
# colours, several lines, a tab, the last line without a newline, and a figure of its input
OWN = (
    'input=$(cat); printf "\\033[1;32m%s bytes\\033[0m\\n" "${#input}";'
    ' printf "\\033[33mline two\\033[0m\\tand a tab\\n"; printf "%s" "$input" | head -c 40'
)
FAILING = 'cat >/dev/null; echo "half a line"; echo "no such thing" >&2; exit 7'
KILLED = "echo before; kill -TERM $$; echo after"
ENVIRONMENT = "cat >/dev/null; env | LC_ALL=C sort"  # the command sees the environment it always saw
OWN_SETTINGS = {"type": "command", "command": OWN, "padding": 2, "refreshInterval": 30}


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    service = CollectorService(
        load_config(None, grpc_port=0, http_port=0, metrics_port=0, data_dir=tmp_path_factory.mktemp("collector"))
    )
    yield service.start()
    service.stop()


@pytest.fixture
def hanging_endpoint():
    """A port that accepts connections and never answers (a collector stuck in a GC pause, a
    firewall that drops): the sender's request hangs until its timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def settings_path(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def init(home: Path, endpoint: str, status_line: dict | None = OWN_SETTINGS, *extra: str) -> dict:
    """A developer with their own status line (and other settings) runs init."""
    settings = {"model": "opus", "permissions": {"allow": ["Bash(npm test)"]}}
    if status_line is not None:
        settings["statusLine"] = status_line
    settings_path(home).parent.mkdir(exist_ok=True)
    settings_path(home).write_text(json.dumps(settings))
    return init_again(endpoint, *extra)


def init_again(endpoint: str, *extra: str) -> dict:
    out = cli("init", "--yes", "--no-hook", "--endpoint", endpoint, "--developer-id", DEVELOPER, "--team", TEAM,
              "--plan", PLAN, "--json", *extra)  # fmt: skip
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)  # a collector that is down or hanging is warned of on stderr


def claude_runs(command: str, stdin: bytes = RECORDED) -> subprocess.CompletedProcess:
    """What Claude Code does with a status line command: `/bin/sh -c`, the JSON on stdin."""
    return subprocess.run(["/bin/sh", "-c", command], input=stdin, capture_output=True, timeout=30)


def the_same(a: subprocess.CompletedProcess, b: subprocess.CompletedProcess) -> bool:
    return (a.stdout, a.stderr, a.returncode) == (b.stdout, b.stderr, b.returncode)


def bridge() -> str:
    return json.loads(settings_path(Path.home()).read_text())["statusLine"]["command"]


def wait_for_send(since: float, timeout: float = 15) -> dict:
    """The outcome of the sender the bridge started at or after `since`."""
    seen: list[dict] = []

    def sent() -> bool:
        outcome = statusline_sender.last_outcome()
        seen[:] = [outcome] if outcome and outcome["at"] >= since else []
        return bool(seen)

    wait_until(sent, timeout=timeout, what="the sender's outcome")
    return seen[0]


def plan_quota(collector) -> dict[tuple[str, str], float]:
    """(series, window) -> value of the plan quota gauges the collector exposes for our developer."""
    out = {}
    for (name, labels), value in scrape(collector).series().items():
        if name.startswith("agent_analytics_plan_quota_"):
            labels = dict(labels)
            assert labels == {"developer_id": DEVELOPER, "team_id": TEAM, "plan": PLAN, "window": labels["window"]}
            out[(name, labels["window"])] = value
    return out


def expected_gauges(limits: dict) -> dict[tuple[str, str], float]:
    windows = {"five_hour": "5h", "seven_day": "7d"}
    out = {}
    for key, window in windows.items():
        out[("agent_analytics_plan_quota_used_ratio", windows[key])] = round(limits[key]["used_percentage"] / 100, 6)
        out[("agent_analytics_plan_quota_reset_time_seconds", window)] = limits[key]["resets_at"]
    return out


@pytest.mark.parametrize("state", ["up", "down", "hanging"])
def test_the_status_line_is_byte_for_byte_the_own_command_whatever_the_collector_does(
    home, collector, hanging_endpoint, state
):
    endpoint = {
        "up": collector.endpoints["otlp_http"],
        "down": f"http://127.0.0.1:{free_port()}",
        "hanging": hanging_endpoint,
    }[state]
    done = init(home, endpoint)
    assert done["statusline"]["action"] == "installed" and done["statusline"]["own_command"] == OWN
    first = time.time()
    for command in (OWN, FAILING, ENVIRONMENT, KILLED):
        own_status_line(home, command)
        own = claude_runs(command)
        statusline_sender.next_send_path().unlink(missing_ok=True)  # as if a minute had passed: a send is due
        started = time.time()
        through = claude_runs(bridge())  # copies the input and starts a sender
        assert the_same(through, own), (state, command, through, own)
        wait_until(lambda: statusline_sender.next_send_path().stat().st_mtime > time.time(), what="the sender")
        through = claude_runs(bridge())  # within the minute: only the command
        assert the_same(through, own), (state, command, through, own)
        if state != "hanging":  # (a hanging send holds the lock: the next senders leave at once)
            wait_for_send(started)
    assert own.stdout == b"before\n" and own.returncode == -15  # the killed command: killed both ways
    # the first sender holds the lock while its request hangs; the others find it and leave
    sent = wait_for_send(first, timeout=statusline_sender.TIMEOUT + 10)
    assert sent["readings"] == {
        "5h": {"used": 0.42, "resets_at": RECORDED_LIMITS["five_hour"]["resets_at"]},
        "7d": {"used": 0.173, "resets_at": RECORDED_LIMITS["seven_day"]["resets_at"]},
    }
    assert sent["sent"] is (state == "up"), sent
    if state != "up":
        assert "unreachable" in sent["detail"], sent
    if state == "up":
        assert plan_quota(collector) == expected_gauges(RECORDED_LIMITS)


def own_status_line(home: Path, command: str) -> None:
    """The developer sets another status line of their own; the bridge runs it from then on."""
    statusline_install.uninstall(home)
    settings = json.loads(settings_path(home).read_text())
    settings["statusLine"] = {"type": "command", "command": command}
    settings_path(home).write_text(json.dumps(settings))
    assert statusline_install.install(home).own == command


def test_the_output_of_a_colourful_multi_line_status_line_is_unchanged(home, collector):
    init(home, collector.endpoints["otlp_http"])
    own = claude_runs(OWN)
    assert own.returncode == 0 and own.stdout.count(b"\n") == 2 and b"\033[1;32m" in own.stdout
    length = len(RECORDED) - 1  # $(cat) drops the newline Claude Code ends the JSON with
    assert own.stdout.startswith(f"\033[1;32m{length} bytes".encode())
    assert the_same(claude_runs(bridge()), own)
    wait_for_send(0)


def test_malformed_input_still_prints_the_own_commands_output(home, collector):
    init(home, collector.endpoints["otlp_http"])
    broken = b'{"rate_limits": {"five_hour": '
    assert the_same(claude_runs(bridge(), broken), claude_runs(OWN, broken))
    outcome = wait_for_send(0)
    assert not outcome["sent"] and "not be read as JSON" in outcome["detail"]


def test_at_most_one_send_a_minute(home, collector):
    init(home, collector.endpoints["otlp_http"])
    before = received_points(collector)
    start = time.time()
    for _ in range(5):
        claude_runs(bridge())
    outcome = wait_for_send(start - 1)
    assert outcome["sent"]
    time.sleep(0.5)  # a second sender, had one started, would have sent by now
    assert received_points(collector) - before == 4  # two windows, two gauges each: one send
    assert statusline_sender.next_send_path().stat().st_mtime == pytest.approx(outcome["at"] + 60, abs=0.01)


def received_points(collector) -> float:
    samples = scrape(collector).series()
    return sum(v for (name, labels), v in samples.items()
               if name == "agent_analytics_collector_received_total" and ("signal", "metrics") in labels)  # fmt: skip


def test_series_do_not_grow_with_sessions(home, collector, tmp_path):
    """Three sessions, a minute apart, each with its own session id and figures: still one series
    per window and gauge, holding the newest figures."""
    init(home, collector.endpoints["otlp_http"])
    status = json.loads(RECORDED)
    now = time.time()
    for i, session in enumerate(("s-one", "s-two", "s-three")):
        status["session_id"] = session
        status["rate_limits"]["five_hour"]["used_percentage"] = 10.0 * (i + 1)
        status["rate_limits"]["seven_day"]["used_percentage"] = 2.5 * (i + 1)
        path = tmp_path / f"input.{i}"
        path.write_text(json.dumps(status))
        assert statusline_sender.run(path, now=now + 61 * i)["sent"]
    assert plan_quota(collector) == expected_gauges(status["rate_limits"])
    assert not any("session" in k for _, labels in scrape(collector).series() for k, _ in labels)


def test_uninstall_puts_the_own_status_line_back_exactly(home, collector):
    init(home, collector.endpoints["otlp_http"])
    settings = json.loads(settings_path(home).read_text())
    assert settings["statusLine"] == {**OWN_SETTINGS, "command": statusline_install.bridge_command()}
    out = cli("statusline", "uninstall")
    assert out.exit_code == 0 and "runs your own status line again" in out.output
    after = json.loads(settings_path(home).read_text())
    assert after["statusLine"] == OWN_SETTINGS and after["model"] == "opus" and "env" in after
    assert not statusline_install.bridge_path().exists() and not statusline_install.original_path().exists()
    assert cli("statusline", "uninstall").output.startswith(f"{settings_path(home)} does not run the status line")


def test_without_a_status_line_of_its_own_the_bridge_prints_nothing_and_uninstall_removes_the_key(home, collector):
    done = init(home, collector.endpoints["otlp_http"], None)
    assert done["statusline"] == {"settings": str(settings_path(home)), "action": "installed", "own_command": ""}
    run = claude_runs(bridge())
    assert (run.stdout, run.stderr, run.returncode) == (b"", b"", 0)
    assert wait_for_send(0)["sent"]
    assert cli("statusline", "uninstall").exit_code == 0
    assert "statusLine" not in json.loads(settings_path(home).read_text())


def test_init_again_and_a_status_line_set_since(home, collector):
    """A second init changes nothing; a status line the developer set since replaces theirs in the
    bridge, and uninstall gives back that one."""
    init(home, collector.endpoints["otlp_http"])
    assert init_again(collector.endpoints["otlp_http"])["statusline"]["action"] == "unchanged"
    settings = json.loads(settings_path(home).read_text())
    settings["statusLine"] = {"type": "command", "command": "echo newer"}
    settings_path(home).write_text(json.dumps(settings))
    assert cli("statusline", "status", "--json").output.count('"in_place": false') == 1
    assert init_again(collector.endpoints["otlp_http"])["statusline"]["own_command"] == "echo newer"
    assert claude_runs(bridge()).stdout == b"newer\n"
    wait_for_send(0)
    cli("statusline", "uninstall")
    assert json.loads(settings_path(home).read_text())["statusLine"] == {"type": "command", "command": "echo newer"}


def test_no_statusline_leaves_the_status_line_alone(home, collector):
    init(home, collector.endpoints["otlp_http"], OWN_SETTINGS, "--no-statusline")
    assert json.loads(settings_path(home).read_text())["statusLine"] == OWN_SETTINGS


def test_an_unknown_plan_is_refused(home):
    out = cli("init", "--yes", "--no-hook", "--plan", "max")
    assert out.exit_code == 1
    assert "unknown plan 'max': choose from pro, max-5x, max-20x, team-standard, team-premium" in out.output


def test_doctor_and_status_say_whether_the_bridge_is_in_place_and_when_it_last_sent(home, collector):
    init(home, collector.endpoints["otlp_http"])
    check = doctor_check()
    assert check["status"] == "ok" and "nothing sent yet" in check["detail"] and OWN in check["detail"]
    claude_runs(bridge())
    wait_for_send(0)
    check = doctor_check()
    assert check["status"] == "ok" and check["detail"].endswith("s ago: 5h 42%, 7d 17%"), check
    status = json.loads(cli("statusline", "status", "--json").output)
    assert status["in_place"] and status["own_command"] == OWN and status["last_send"]["sent"]
    cli("statusline", "uninstall")
    check = doctor_check()
    assert check["status"] == "warn" and "plan limits (5-hour and weekly) are not sent" in check["detail"]
    assert check["fix"].startswith("run `agent-analytics statusline install`")


def doctor_check() -> dict:
    out = cli("doctor", "--json")
    return next(c for c in json.loads(out.output)["checks"] if c["name"] == "status line")


def test_before_the_first_answer_the_sender_looks_again_soon_and_without_plan_limits_a_minute_later(home):
    """A session's first status line has no plan limits yet (no answer from the model); an API-key
    session never has any (both recorded from the client)."""
    init(home, f"http://127.0.0.1:{free_port()}")
    now = time.time()
    assert statusline_sender.run(FIXTURES / "first-refresh.json", now=now) is None
    assert statusline_sender.next_send_path().stat().st_mtime == pytest.approx(now + statusline_sender.BEFORE_ANSWER)
    assert statusline_sender.last_outcome() is None
    later = now + statusline_sender.BEFORE_ANSWER
    outcome = statusline_sender.run(FIXTURES / "api-key.json", now=later)
    assert outcome == {"at": later, "sent": False, "detail": statusline_sender.NO_LIMITS, "readings": {}}
    assert statusline_sender.next_send_path().stat().st_mtime == pytest.approx(later + statusline_sender.INTERVAL)
