"""The project's rule files as a test's Prometheus loads them: evaluated every second."""

from __future__ import annotations

from pathlib import Path

import yaml

from agent_analytics.monitoring import seconds
from prometheus.rules_src import build

RULES = sorted((Path(__file__).resolve().parents[2] / "prometheus" / "rules").glob("*.yml"))


def fast_rule_files(folder: Path, minutes_as_seconds: bool = False, interval: str = "1s") -> list[Path]:
    """The rule files evaluated every second (or `interval`), so a test sees them within seconds:
    the recording rules rendered for that interval (the hourly group's interval windows are one
    interval), the alerts copied with their groups' interval changed. `minutes_as_seconds`: an
    alert's `for` counts a second where the file says a minute (2m -> 2s)."""
    out = []
    for path in RULES:
        copy = folder / path.name
        if path == build.OUT:
            copy.write_text(build.render(interval))
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
