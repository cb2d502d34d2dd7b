"""Sends the plan limits of Claude Code's status line to the collector, as two OTLP gauges per window.

The status line bridge (statusline_install.py) starts this in the background at most once a
minute, with a copy of the JSON Claude Code passed to the status line. Its `rate_limits` hold,
per window (`five_hour`, `seven_day`, and any further one the client reports), the share used in
percent and the reset time in unix seconds. They go out as
`agent_analytics.plan_quota.used_ratio` (0-1) and `agent_analytics.plan_quota.reset_time` (s),
labelled with this workstation's developer and team, the window and the plan `init --plan` named;
never with the session. The outcome of each run is kept for `doctor` and `statusline status`.

A run first moves the next allowed send a minute ahead, so status lines refreshing meanwhile
start none, and sends only while it holds the lock (one sender at a time). Nothing here can slow the status line: it has
already printed when this starts, and a collector that is down or hangs costs this process
TIMEOUT seconds at most.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from agent_analytics.vocabulary import plan_limits, series
from agent_analytics.workstation import paths

INTERVAL = 60  # seconds between sends (and between looks at an input without plan limits)
# A session's first status lines come before any answer from the model, so without plan limits
# even where the sign-in has them: look again this soon.
BEFORE_ANSWER = 5
TIMEOUT = 5.0
KEEP_INPUTS = 10  # seconds a copy of the input stays: the bridge is still opening the newest one
MAX_WINDOWS = 8
WINDOW_KEY = re.compile(r"[a-z0-9_]{1,32}")
SERVICE_NAME = "agent-analytics-statusline"
# series the collector exposes -> (OTLP name, unit): the unit adds `_seconds` to the second name
METRICS = {
    series.PLAN_QUOTA_USED: ("agent_analytics.plan_quota.used_ratio", ""),
    series.PLAN_QUOTA_RESET: ("agent_analytics.plan_quota.reset_time", "s"),
}
NO_LIMITS = (
    "Claude Code's status line carried no plan limits (rate_limits): it reports them for claude.ai"
    " subscriptions and Claude gateway sign-ins, not for API keys"
)


def folder() -> Path:
    """Where the bridge leaves its inputs and the sender its timestamps and outcome."""
    return paths.state_dir() / "statusline"


def next_send_path() -> Path:
    """Its modification time is when the next send may happen (the bridge compares it with now)."""
    return folder() / "next-send"


def outcome_path() -> Path:
    return folder() / "last-send.json"


@dataclass(frozen=True)
class Reading:
    window: str
    used: float  # 0-1
    resets_at: float  # unix seconds


def readings(status: object) -> list[Reading]:
    """The windows of a status line input's `rate_limits` that carry both figures."""
    limits = status.get("rate_limits") if isinstance(status, dict) else None
    out = []
    for key, value in limits.items() if isinstance(limits, dict) else ():
        if not isinstance(value, dict) or not WINDOW_KEY.fullmatch(str(key)) or len(out) == MAX_WINDOWS:
            continue
        used, reset = value.get("used_percentage"), value.get("resets_at")
        if _number(used) and _number(reset):
            # one decimal of a percentage, as the client rounds it: 17.3 -> 0.173, not 0.17300000000000001
            out.append(Reading(plan_limits.WINDOW_LABELS.get(key, key), round(used / 100, 6), float(reset)))
    return out


def answered(status: object) -> bool:
    """False for a status line of a session the model has not answered yet (no API time)."""
    cost = status.get("cost") if isinstance(status, dict) else None
    return not (isinstance(cost, dict) and cost.get("total_api_duration_ms") == 0)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def request_body(found: list[Reading], identity: dict[str, str], now: float) -> bytes:
    """An OTLP ExportMetricsServiceRequest (protobuf) with both gauges of every reading."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric, NumberDataPoint

    def attributes(pairs: dict[str, str]) -> list:
        return [KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in pairs.items() if v]

    request = ExportMetricsServiceRequest()
    resource = request.resource_metrics.add()
    resource.resource.attributes.extend(attributes({"service.name": SERVICE_NAME}))
    scope = resource.scope_metrics.add()
    scope.scope.name = SERVICE_NAME
    stamp = int(now * 1e9)
    for name, (otlp_name, unit) in METRICS.items():
        metric = Metric(name=otlp_name, unit=unit, description=name.help)
        for r in found:
            value = r.used if name == series.PLAN_QUOTA_USED else r.resets_at
            metric.gauge.data_points.append(
                NumberDataPoint(
                    time_unix_nano=stamp, as_double=value, attributes=attributes({**identity, "window": r.window})
                )
            )
        scope.metrics.append(metric)
    return request.SerializeToString()


def post(endpoint: str, api_key: str, body: bytes, timeout: float = TIMEOUT) -> None:
    headers = {"Content-Type": "application/x-protobuf"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(f"{endpoint.rstrip('/')}/v1/metrics", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def _hold(seconds: float, now: float) -> None:
    """No send before `now + seconds`."""
    path = next_send_path()
    path.touch()
    os.utime(path, (now + seconds, now + seconds))


def _record(outcome: dict) -> None:
    path = outcome_path()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(outcome))
    os.replace(tmp, path)


def last_outcome() -> dict | None:
    """What the last run did: {at, sent, detail, readings}; None before the first."""
    try:
        return json.loads(outcome_path().read_text())
    except (OSError, ValueError):
        return None


def _tidy(keep: Path, now: float) -> None:
    """Remove earlier copies of the input (the newest may still be opening in the bridge)."""
    for old in folder().glob("input.*"):
        with contextlib.suppress(OSError):
            if old != keep and old.stat().st_mtime < now - KEEP_INPUTS:
                old.unlink()


def run(input_path: Path, now: float | None = None) -> dict | None:
    """Send the readings of the status line input at `input_path`, unless a send is not due;
    returns the outcome recorded, or None when another sender runs or it is too early."""
    from agent_analytics.workstation import config as workstation

    now = time.time() if now is None else now
    folder().mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if next_send_path().stat().st_mtime > now:
            return None
    _hold(INTERVAL, now)  # this run's turn, taken before the lock: refreshes meanwhile start no sender
    with open(folder() / ".lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # the previous run is still sending (a collector that hangs)
            return None
        _tidy(input_path, now)
        outcome = {"at": now, "sent": False, "detail": "", "readings": {}}
        try:
            status = json.loads(input_path.read_bytes())
        except (OSError, ValueError) as e:
            outcome["detail"] = f"the status line input could not be read as JSON ({type(e).__name__})"
            _record(outcome)
            return outcome
        found = readings(status)
        if not found and not answered(status):
            _hold(BEFORE_ANSWER, now)
            return None
        outcome["readings"] = {r.window: {"used": r.used, "resets_at": r.resets_at} for r in found}
        ws = workstation.load_or_none()
        if not found:
            outcome["detail"] = NO_LIMITS
        elif ws is None:
            outcome["detail"] = f"no workstation config at {workstation.config_path()}: run `agent-analytics init`"
        else:
            # a plan the table does not know (a hand-edited config) is left out: label values stay bounded
            plan = ws.plan if ws.plan in plan_limits.plans() else ""
            identity = {"developer.id": ws.developer_id, "team.id": ws.team_id, "plan": plan}
            try:
                post(ws.endpoint, ws.api_key, request_body(found, identity, now))
                outcome["sent"] = True
                outcome["detail"] = f"sent to {ws.endpoint}"
            except urllib.error.HTTPError as e:
                outcome["detail"] = f"{ws.endpoint} answered {e.code}"
            except (OSError, ValueError) as e:  # refused, unreachable, timed out
                outcome["detail"] = f"{ws.endpoint} unreachable ({getattr(e, 'reason', None) or type(e).__name__})"
        _record(outcome)
        return outcome


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m agent_analytics.workstation.statusline_sender INPUT_FILE", file=sys.stderr)
        return 2
    with contextlib.suppress(OSError):
        os.setsid()  # outlive whatever ends the status line's process group
    try:
        run(Path(argv[0]))
    except Exception:  # in the background, with nobody to tell: `doctor` reads the outcome
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
