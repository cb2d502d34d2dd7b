"""The project's rule files as a test's Prometheus loads them: evaluated every second."""

from __future__ import annotations

from pathlib import Path

import yaml

from prometheus.rules_src import build

RULES = sorted((Path(__file__).resolve().parents[2] / "prometheus" / "rules").glob("*.yml"))


def fast_rule_files(folder: Path) -> list[Path]:
    """The rule files evaluated every second, so a test sees them within seconds: the recording
    rules rendered for that interval (the hourly group's interval windows are one interval),
    the alerts copied with their groups' interval changed."""
    out = []
    recording = build.recording("1s")
    for path in RULES:
        copy = folder / path.name
        if path in recording:
            copy.write_text(recording[path])
        else:
            data = yaml.safe_load(path.read_text())
            for group in data["groups"]:
                group["interval"] = "1s"
            copy.write_text(yaml.safe_dump(data))
        out.append(copy)
    return out
