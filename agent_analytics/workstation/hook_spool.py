"""The git hook's spool: one file per commit the exporter has not acknowledged yet.

The hook (post_commit.sh, no Python on the commit's path) writes a *record*,
`<sha>-<pid>.commit`: entries each followed by a NUL byte — `sha=`, `path=` (the top of the
working tree), `git_dir=` when GIT_DIR was set, the agent variables it saw as NAME=value, and
`end` last (it writes in place, a rename would cost a process: a record without its end is
still being written, or was torn by a full disk or a kill). The sender turns each record into a
*capture*, `<sha>-<hash of path>.json`: the commit as `git log` reads it, the origin remote and
the agent variables allowed to leave the workstation. Captures are what is sent, and they no
longer need the repository.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import time
import zlib
from pathlib import Path

RECORD = ".commit"
CAPTURE = ".json"
CAPTURE_VERSION = 1
END = b"\0end\0"
TORN_AFTER = 60.0  # seconds: a record still without its end by then will never get it

# Agent evidence: only these variables leave the workstation, never the whole environment.
AGENT_VARIABLES = (
    "CLAUDECODE",
    "CLAUDE_CODE_SESSION_ID",
    "CLAUDE_CODE_ENTRYPOINT",
    "AI_AGENT",
    "GEMINI_CLI",
    "CURSOR_AGENT",
    "CURSOR_TRACE_ID",
)
AGENT_PREFIXES = ("CODEX_", "AIDER_")
# A prefix match never carries credentials (AIDER_OPENAI_API_KEY, CODEX_API_KEY, ...).
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")
MAX_VALUE = 256

# One `git log` gives every fact: NUL-separated header fields, then the --numstat lines.
# Author through .mailmap (%aN/%aE) and no numstat for merges, exactly as the exporter's scan
# reads history, so a commit counts the same whichever of the two sees it first.
LOG_FIELDS = ("%H", "%aN", "%aE", "%at", "%ct", "%(trailers:only,unfold)")
LOG_FORMAT = "--format=" + "%x00".join(LOG_FIELDS) + "%x00"


def pending(folder: Path) -> list[Path]:
    """Every commit waiting in the spool, recorded or captured."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (RECORD, CAPTURE) and not p.name.startswith("."))


def records(folder: Path) -> list[Path]:
    return [p for p in pending(folder) if p.suffix == RECORD]


def captures(folder: Path) -> list[Path]:
    return [p for p in pending(folder) if p.suffix == CAPTURE]


class Unfinished(Exception):
    """The record has no end yet: its hook is still writing it, or was stopped while writing."""


def torn(record: Path) -> bool:
    """Whether an unfinished record will stay so (or is gone)."""
    try:
        return time.time() - record.stat().st_mtime > TORN_AFTER
    except FileNotFoundError:
        return True


def ready(folder: Path) -> list[Path]:
    """What a sender can act on now: captures, and records finished or torn."""
    found = []
    for path in pending(folder):
        if path.suffix == CAPTURE or torn(path):
            found.append(path)
        else:
            with contextlib.suppress(OSError):
                if path.read_bytes().endswith(END):
                    found.append(path)
    return found


def agent_env(environ) -> dict[str, str]:
    """The agent variables of `environ` that may leave the workstation."""
    found = {}
    for name, value in environ.items():
        allowed = name in AGENT_VARIABLES or (
            name.startswith(AGENT_PREFIXES) and not any(word in name.upper() for word in SECRET_WORDS)
        )
        if allowed and value:
            found[name] = value[:MAX_VALUE]
    return dict(sorted(found.items()))


def read_record(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """A finished record's fields (lower-case keys) and the agent variables it holds."""
    data = path.read_bytes()
    if not data.endswith(END):
        raise Unfinished(path.name)
    fields, variables = {}, {}
    for entry in data[: -len(END)].decode("utf-8", "replace").split("\0"):
        key, sep, value = entry.partition("=")
        if sep:
            (fields if key.islower() else variables)[key] = value
    if not {"sha", "path"} <= fields.keys():
        raise ValueError("a record needs sha= and path=")
    return fields, variables


@functools.cache
def _git_env() -> dict[str, str]:
    """This environment without the variables that tie git to one repository (GIT_DIR, GIT_INDEX_FILE,
    ...): the sender inherits them from the commit that started it, and reads other repositories too."""
    names = subprocess.run(["git", "rev-parse", "--local-env-vars"], capture_output=True, text=True, timeout=10)
    local = set(names.stdout.split())
    return {k: v for k, v in os.environ.items() if k not in local}


def _git(fields: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    repo = ["--git-dir", fields["git_dir"]] if fields.get("git_dir") else []
    return subprocess.run(
        ["git", *repo, "-C", fields["path"], *args], capture_output=True, text=True, env=_git_env(), timeout=30
    )


def capture(record: Path) -> dict:
    """Read the commit of `record` from its repository, write its capture and remove the record.

    Raises Unfinished for a record without its end, LookupError when git cannot read the commit
    (the repository was moved or deleted).
    """
    fields, variables = read_record(record)
    log = _git(fields, "log", "-1", "--no-color", LOG_FORMAT, "--numstat", fields["sha"], "--")
    if log.returncode != 0 or not log.stdout.startswith(fields["sha"]):
        raise LookupError(f"git cannot read commit {fields['sha'][:12]} in {fields['path']}")
    origin = _git(fields, "config", "--get", "remote.origin.url").stdout.strip()
    captured = {
        "version": CAPTURE_VERSION,
        "path": fields["path"],
        "origin": origin,
        "log": log.stdout,
        "agent_env": agent_env(variables),
    }
    # The path tells apart the same commit made in two clones.
    target = record.with_name(f"{fields['sha']}-{zlib.crc32(fields['path'].encode()):08x}{CAPTURE}")
    tmp = record.with_name(f".{target.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps(captured))
        # Over the record's own name, then renamed: the spool holds one file per commit at every
        # moment, so what counts it never sees the commit twice (or not at all).
        os.replace(tmp, record)
    finally:
        tmp.unlink(missing_ok=True)
    os.replace(record, target)
    return captured
