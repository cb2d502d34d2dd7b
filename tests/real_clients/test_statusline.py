"""The current Claude Code release, run interactively against the model stand-in that answers with
the unified rate-limit headers, with the status line as `init` leaves it: the developer's own
status line still shows, and the plan limits reach Prometheus (through the embedded collector)
equal to what the stand-in announced, for both windows, without a session label."""

import json
import time

from agent_analytics.workstation import config as workstation_config
from agent_analytics.workstation import statusline_install
from agent_analytics.workstation.agent_settings import claude_code
from agent_analytics.workstation.config import Workstation
from tests.real_clients import clients
from tests.support.model_standins import unified_rate_limits
from tests.support.prometheus import Prometheus

DEVELOPER, TEAM, PLAN = "ana@example.com", "payments", "max-5x"
USED = "agent_analytics_plan_quota_used_ratio"
RESET = "agent_analytics_plan_quota_reset_time_seconds"
# the developer's own status line; refreshed every second as well as on the client's events
OWN = {"type": "command", "command": "cat >/dev/null; printf 'my own status line'", "refreshInterval": 1}


def test_claude_code_plan_limits_reach_prometheus(collector, model, workstation, monkeypatch, record_property):
    record_property("client_version", f"@anthropic-ai/claude-code@{clients.version('@anthropic-ai/claude-code')}")
    now = int(time.time())
    announced = {"5h": (0.42, now + 3 * 3600), "7d": (0.173, now + 4 * 86400)}
    model.anthropic_headers = unified_rate_limits(announced["5h"], announced["7d"])
    home, repo = workstation("claude-statusline")
    monkeypatch.setenv("HOME", str(home))  # `init` as the developer: their config, settings and bridge
    ws = Workstation(endpoint=collector.endpoints["otlp_http"], developer_id=DEVELOPER, team_id=TEAM, plan=PLAN)
    workstation_config.save(ws)
    claude_code.path(home).parent.mkdir(parents=True, exist_ok=True)
    claude_code.path(home).write_text(json.dumps({"statusLine": OWN}))
    claude_code.apply(ws, home)
    assert statusline_install.install(home).own == OWN["command"]

    target = collector.endpoints["metrics"].split("//", 1)[1].split("/", 1)[0]
    with Prometheus(targets={"collector": [target]}) as prometheus:

        def both_windows_in_prometheus() -> bool:
            return all(len(prometheus.query(name)) == 2 for name in (USED, RESET))

        screen = clients.in_terminal(clients.claude_in_terminal(home, repo, model.url), both_windows_in_prometheus)
        assert model.count("anthropic") >= 1
        assert b"my own status line" in screen
        for name, index in ((USED, 0), (RESET, 1)):
            got = {}
            for row in prometheus.query(name):
                labels = {k: v for k, v in row["metric"].items() if k not in ("__name__", "job", "instance")}
                assert labels == {"developer_id": DEVELOPER, "team_id": TEAM, "plan": PLAN, "window": labels["window"]}
                got[labels["window"]] = float(row["value"][1])
            assert got == {window: figures[index] for window, figures in announced.items()}, name
