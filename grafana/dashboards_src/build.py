"""Generate the dashboards into grafana/dashboards/ (the files Grafana provisions).

python grafana/dashboards_src/build.py           # write the JSON files
python grafana/dashboards_src/build.py --check   # exit 1 if the committed files differ
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `grafana.dashboards_src` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "grafana.dashboards_src"

from grafana.dashboards_src import budgets, claude_code, copilot, plan_limits, productivity, spend_roi  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "dashboards"
DASHBOARDS = {
    "ai-spend-roi.json": spend_roi.build,
    "claude-code-usage.json": claude_code.build,
    "productivity.json": productivity.build,
    "github-copilot.json": copilot.build,
    "budgets.json": budgets.build,
    "plan-limits.json": plan_limits.build,
}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {name: json.dumps(build(), indent=2, sort_keys=True) + "\n" for name, build in DASHBOARDS.items()}


def main(argv: list[str]) -> int:
    rendered = render()
    if "--check" in argv:
        stale = [n for n, text in rendered.items() if not (OUT / n).is_file() or (OUT / n).read_text() != text]
        if stale:
            print(f"dashboards out of date: {', '.join(stale)}; run python grafana/dashboards_src/build.py")
            return 1
        return 0
    OUT.mkdir(exist_ok=True)
    for name, text in rendered.items():
        (OUT / name).write_text(text)
    print(f"wrote {len(rendered)} dashboards to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
