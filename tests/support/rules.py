"""The project's rule files as a test's Prometheus loads them: evaluated every second."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from agent_analytics.vocabulary.facts import seconds
from prometheus.rules_src import build

RULES = sorted((Path(__file__).resolve().parents[2] / "prometheus" / "rules").glob("*.yml"))


def fast_rule_files(folder: Path, minutes_as_seconds: bool = False, interval: str = "1s") -> list[Path]:
    """The rule files evaluated every second (or `interval`), so a test sees them within seconds:
    the recording rules rendered for that interval (the hourly group's interval windows are one
    interval), the alerts copied with their groups' interval changed. `minutes_as_seconds`: an
    alert's `for` counts a second where the file says a minute (2m -> 2s)."""
    out = []
    recording = build.recording(interval)
    for path in RULES:
        copy = folder / path.name
        if path in recording:
            copy.write_text(recording[path])
        else:
            data = yaml.safe_load(path.read_text())
            for group in data["groups"]:
                group["interval"] = interval
                for rule in group["rules"] if minutes_as_seconds else ():
                    if "for" in rule:
                        rule["for"] = f"{max(1, seconds(rule['for']) // 60)}s"
            copy.write_text(yaml.safe_dump(data))
        out.append(copy)
    return out


# A duration inside a range or subquery selector, after `offset`, or of an alert's `for`
_DURATION = re.compile(r"(?<=[\[:])(\d+[smhdwy])(?=[\]:])|(?<=offset )(\d+[smhdwy])|(?<=^for: )(\d+[smhdwy])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def _shrink(duration: str, factor: int) -> str:
    seconds = int(duration[:-1]) * _SECONDS[duration[-1]]
    return f"{max(seconds * 1000 // factor, 1)}ms"


def compressed_rule_files(folder: Path, factor: int = 60) -> list[Path]:
    """The usage and budget recording rules and the alerts with time running `factor` times faster:
    every window, offset and `for` divided by `factor`, evaluated every 60/factor seconds, so an
    hour of the budget alerts passes in a minute (an alert of `for: 2m` fires after 2 s).

    The constants stay: a window's growth is divided by the window's real seconds, and the
    month-to-date rule adds a minute's worth at each evaluation, so every recorded value is the
    one the real rules record for the same spend over the real window. Read what a rule records
    with its real name (rate5m is the 5 s window here). The hourly rules (clock hours) are left
    out: nothing the budget rules and alerts read needs them."""
    interval = f"{60 * 1000 // factor}ms"
    out = []
    alerts = [build.ALERTS_OUT, build.ROLLOUT_ALERTS_OUT]
    recorded = [(path, build.render(path)) for path in (build.USAGE_OUT, build.BUDGET_OUT)]
    for path, text in [*recorded, *((a, a.read_text()) for a in alerts)]:
        data = yaml.safe_load(text)
        for group in data["groups"]:
            group["interval"] = interval
            for rule in group["rules"]:
                rule["expr"] = _DURATION.sub(lambda m: _shrink(m.group(0), factor), rule["expr"])
                if "for" in rule:
                    rule["for"] = _shrink(rule["for"], factor)
        copy = folder / path.name
        copy.write_text(yaml.safe_dump(data, sort_keys=False))
        out.append(copy)
    return out
