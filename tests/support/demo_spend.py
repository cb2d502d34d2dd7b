"""Ground truth of every agent's spend in demo history, as agent_analytics/vocabulary/spend.py defines it
with spend_source `auto`: telemetry for a developer who sends it in the window, the vendor's
day figures for everyone else; Gemini CLI and Codex tokens at the table's price per token type."""

import subprocess
import sys
from pathlib import Path

from agent_analytics.vocabulary.series import CODEX_TOKENS, GEMINI_TOKENS, VENDOR_COST
from agent_analytics.vocabulary.token_prices import token_type_prices

CLAUDE_COST = "claude_code_cost_usage_USD_total"
KEY = ("developer_id", "team_id", "model")
PRICED = {"gemini-cli": (GEMINI_TOKENS, "type"), "codex": (CODEX_TOKENS, "token_type")}


def _total(parts, name, since, until, by):
    out: dict = {}
    for part in parts:
        for key, value in part.total(name, since, until, by).items():
            out[key] = out.get(key, 0.0) + value
    return out


def spend_truth(parts, since: int, until: int) -> dict[tuple[str, str, str, str], float]:
    """USD per (agent, developer_id, team_id, model) over (since, until]."""
    telemetry: dict[str, dict] = {"claude-code": _total(parts, CLAUDE_COST, since, until, KEY)}
    for agent, (series, type_label) in PRICED.items():
        priced: dict = {}
        for (dev, team, model, kind), tokens in _total(parts, series, since, until, (*KEY, type_label)).items():
            priced[(dev, team, model)] = (
                priced.get((dev, team, model), 0.0) + tokens * token_type_prices(agent, model)[kind]
            )
        telemetry[agent] = priced
    out: dict = {}
    for agent, figures in telemetry.items():
        for (dev, team, model), usd in figures.items():
            out[(agent, dev, team, model)] = out.get((agent, dev, team, model), 0.0) + usd
    for part in parts:
        for (name, labels), values in part.gauges.items():
            if name != VENDOR_COST:
                continue
            m = dict(labels)
            senders = {key[0] for key in telemetry.get(m["agent"], {})}
            if m["developer_id"] in senders:
                continue  # auto: this developer's telemetry counts instead
            usd = sum(v for t, v in values.items() if since < t <= until)
            key = (m["agent"], m["developer_id"], m["team_id"], m["model"])
            out[key] = out.get(key, 0.0) + usd
    return {k: v for k, v in out.items() if v}


def summed(truth: dict, *fields: str) -> dict[tuple, float]:
    """The truth added up by some of agent, developer_id, team_id, model."""
    index = {"agent": 0, "developer_id": 1, "team_id": 2, "model": 3}
    out: dict = {}
    for key, usd in truth.items():
        k = tuple(key[index[f]] for f in fields)
        out[k] = out.get(k, 0.0) + usd
    return out


def write_demo(tsdb: Path, developers: int, days: int, seed: int, end: int) -> None:
    """`agent-analytics demo` into a TSDB folder, as a user runs it."""
    args = ["demo", "--developers", str(developers), "--days", str(days), "--seed", str(seed), "--end", str(end)]
    done = subprocess.run(
        [sys.executable, "-m", "agent_analytics.cli", *args, "--prometheus-data", str(tsdb)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
