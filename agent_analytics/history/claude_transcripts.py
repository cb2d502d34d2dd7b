"""Claude Code's local transcripts (~/.claude/projects/<project>/<session>.jsonl) as usage history.

Each assistant line carries the API usage of its message in `message.usage`. One message is
written as several lines (one per content block, all with the same usage) and resumed sessions
copy earlier messages into a new file, so a message is counted once per (message.id,
requestId): the copy with the most output tokens wins (streaming lines can carry partial
counts) and the earliest timestamp dates it. Cost is priced with genai-prices, cache writes at
the rate of their lifetime (`usage.cache_creation.ephemeral_1h_input_tokens` are 1-hour writes,
the rest 5-minute ones); lines that are not JSON, messages without usage and `<synthetic>`
messages are skipped and counted.
"""

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agent_analytics.vocabulary import series
from agent_analytics.vocabulary.model_names import normalise_model
from agent_analytics.vocabulary.token_prices import UnknownModel, claude_cost_usd

from .backfill_series import Increment

TOKEN_FIELDS = {  # transcript usage field -> `type` label of claude_code_token_usage_tokens_total
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_read_input_tokens": "cacheRead",
    "cache_creation_input_tokens": "cacheCreation",
}


@dataclass
class Message:
    key: tuple[str, str]
    session_id: str
    model: str
    at: float
    tokens: dict[str, int]
    cache_write_1h: int = 0  # the part of tokens["cacheCreation"] written with the 1-hour lifetime


@dataclass
class ReadStats:
    files: int = 0
    lines: int = 0
    bad_lines: int = 0
    duplicates: int = 0
    synthetic: int = 0
    unpriced_models: set[str] = field(default_factory=set)


def transcript_files(root: Path) -> list[Path]:
    return sorted(p for p in root.expanduser().rglob("*.jsonl") if p.is_file())


def _timestamp(value) -> float | None:
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def _count(value) -> int:
    """A token count of `message.usage`; ValueError when it is not one."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a token count: {value!r}")
    if value < 0 or value != int(value):
        raise ValueError(f"not a token count: {value!r}")
    return int(value)


def _message(entry: dict) -> Message | None:
    msg = entry.get("message")
    if entry.get("type") != "assistant" or not isinstance(msg, dict) or not isinstance(msg.get("usage"), dict):
        return None
    at = _timestamp(entry.get("timestamp"))
    if at is None or not msg.get("id"):
        return None
    usage = msg["usage"]
    tokens = {label: _count(usage.get(name)) for name, label in TOKEN_FIELDS.items()}
    model = normalise_model(str(msg.get("model") or "unknown"))
    split = usage.get("cache_creation")
    cache_write_1h = _count(split.get("ephemeral_1h_input_tokens")) if isinstance(split, dict) else 0
    return Message(
        (str(msg["id"]), str(entry.get("requestId") or "")),
        str(entry.get("sessionId") or ""),
        model,
        at,
        tokens,
        cache_write_1h,
    )


def read_messages(files: Iterable[Path], stats: ReadStats, tick: Callable[[], None] = lambda: None) -> list[Message]:
    """The distinct messages of all files, deduplicated by (message id, request id)."""
    found: dict[tuple[str, str], Message] = {}
    for path in files:
        stats.files += 1
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                stats.lines += 1
                try:
                    entry = json.loads(line)
                    m = _message(entry) if isinstance(entry, dict) else None
                except ValueError:  # not JSON, or usage that holds no token counts
                    stats.bad_lines += 1
                    continue
                if m is None:
                    continue
                if m.model == "<synthetic>":
                    stats.synthetic += 1
                    continue
                seen = found.get(m.key)
                if seen is None:
                    found[m.key] = m
                    continue
                stats.duplicates += 1
                if m.tokens["output"] > seen.tokens["output"]:
                    m.at = min(m.at, seen.at)
                    found[m.key] = m
                else:
                    seen.at = min(m.at, seen.at)
        tick()
    return sorted(found.values(), key=lambda m: (m.at, m.key))


def usage_increments(messages: Iterable[Message], labels: dict[str, str], stats: ReadStats) -> Iterator[Increment]:
    """Cost, tokens by type and session starts, under the live series' names."""
    sessions: dict[str, float] = {}
    for m in messages:
        if m.session_id:
            sessions[m.session_id] = min(m.at, sessions.get(m.session_id, m.at))
        spend = tuple(sorted({**labels, "model": m.model}.items()))
        try:
            cost = claude_cost_usd(
                m.model,
                m.tokens["input"],
                m.tokens["output"],
                m.tokens["cacheRead"],
                m.tokens["cacheCreation"],
                at=datetime.fromtimestamp(m.at, UTC),
                cache_write_1h_tokens=m.cache_write_1h,
            )
        except UnknownModel:
            stats.unpriced_models.add(m.model)
        else:
            yield Increment(m.at, series.CLAUDE_COST, spend, cost)
        for kind, count in m.tokens.items():
            yield Increment(m.at, series.CLAUDE_TOKENS, tuple(sorted((*spend, ("type", kind)))), count)
    who = tuple(sorted(labels.items()))
    for started in sessions.values():
        yield Increment(started, series.CLAUDE_SESSIONS, who, 1)
