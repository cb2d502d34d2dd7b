"""The rule files as Thanos Ruler loads them (prometheus/rules/thanos/, docs/scaling-thanos.md):
the same groups and rules, each group with Thanos' `partial_response_strategy: warn`.

The ruler reads through Thanos Query. With Thanos' default (abort), one store that does not
answer (a Prometheus replica down, whose twin holds the same series) fails every evaluation
until Query drops it: the hourly group's interval samples of those evaluations are lost to the
hour in progress, and the month to date misses their steps for good. With `warn` the ruler
evaluates over the stores that answer and counts the warning
(thanos_rule_evaluation_with_warnings_total), which is what to alert on.
"""

from __future__ import annotations

import re
from pathlib import Path

STRATEGY = ("partial_response_strategy", "warn")
FOLDER = "thanos"  # beside the rule files Prometheus loads
_GROUP = re.compile(r"^(  - name: .+\n)", re.M)


def with_strategy(text: str) -> str:
    """A rendered rule file with the strategy as each group's first setting after its name."""
    key, value = STRATEGY
    out, n = _GROUP.subn(rf"\1    {key}: {value}\n", text)
    if not n:
        raise ValueError("no rule group found")
    return out


def ruler_files(files: dict[Path, str]) -> dict[Path, str]:
    """The ruler's copy of each rendered rule file, in FOLDER beside it."""
    return {path.parent / FOLDER / path.name: with_strategy(text) for path, text in files.items()}
