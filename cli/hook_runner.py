"""What the git post-commit hook runs: lean on purpose, because it runs inside every `git commit`.

Standard library (plus platformdirs) only, no typer or rich. The commit is recorded in the
spool first (one file per commit, written atomically), then a detached child sends the whole
spool to the exporter's ingest API and deletes only what the exporter acknowledged. The commit
never waits for the network, never sees output from here, and never fails because of it: a
dead or slow server leaves files in the spool for the next hook or `agent-analytics hook flush`.
The exporter dedupes by (repo, sha), so a file sent twice is counted once.

    python -m agent_analytics.cli.hook_runner post-commit   # from the hook
    python -m agent_analytics.cli.hook_runner flush         # send the spool now
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from agent_analytics.cli.workstation_paths import spool_dir, state_dir
from agent_analytics.repo_id import repo_id

INGEST_PATH = "/api/v1/commits"
BATCH = 200
HOOK_TIMEOUT = 1.0  # seconds, per request from the background sender
FLUSH_TIMEOUT = 10.0  # seconds, per request from `hook flush`
DISABLE_VARIABLE = "AGENT_ANALYTICS_HOOK"  # "off" skips the hook entirely
LOG_LIMIT = 64 * 1024

# Agent evidence: only these variables leave the workstation, never the whole environment.
AGENT_VARIABLES = frozenset(
    {
        "CLAUDECODE",
        "CLAUDE_CODE_SESSION_ID",
        "CLAUDE_CODE_ENTRYPOINT",
        "AI_AGENT",
        "GEMINI_CLI",
        "CURSOR_AGENT",
        "CURSOR_TRACE_ID",
    }
)
AGENT_PREFIXES = ("CODEX_", "AIDER_")
# A prefix match never carries credentials (AIDER_OPENAI_API_KEY, CODEX_API_KEY, ...).
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
MAX_VALUE = 256

_FIELDS = ("%H", "%an", "%ae", "%at", "%ct", "%(trailers:only,unfold)")
LOG_FORMAT = "%x00".join(_FIELDS) + "%x00"


def agent_env(environ: dict[str, str] | os._Environ) -> dict[str, str]:
    found = {}
    for name, value in environ.items():
        allowed = name in AGENT_VARIABLES or (name.startswith(AGENT_PREFIXES) and not SECRET_NAME.search(name))
        if allowed and value:
            found[name] = value[:MAX_VALUE]
    return dict(sorted(found.items()))


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True, timeout=10).stdout


def collect(rev: str = "HEAD", environ: dict[str, str] | os._Environ = os.environ) -> dict:
    """The ingest record of commit `rev` in the repository of the current directory."""
    out = _git("log", "-1", "--no-color", f"--format={LOG_FORMAT}", "--numstat", "--diff-merges=first-parent", rev)
    sha, name, email, authored, committed, trailers, numstat = out.split("\0", 6)
    added = deleted = files = 0
    for line in numstat.splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3:
            continue
        files += 1
        added += int(parts[0]) if parts[0].isdigit() else 0  # "-" for binary files
        deleted += int(parts[1]) if parts[1].isdigit() else 0
    return {
        "repo": repo_id(os.getcwd()),
        "sha": sha.strip(),
        "author_name": name,
        "author_email": email,
        "authored_at": int(authored),
        "committed_at": int(committed),
        "lines_added": added,
        "lines_deleted": deleted,
        "files_changed": files,
        "trailers": [t.strip() for t in trailers.splitlines() if t.strip()],
        "author_is_bot": name.endswith("[bot]") or "[bot]@" in email,
        "agent_env": agent_env(environ),
    }


def spool(record: dict, folder: Path | None = None) -> Path:
    """Write one commit to the spool atomically; the same commit twice is one file."""
    folder = folder or spool_dir()
    folder.mkdir(parents=True, exist_ok=True)
    repo_key = hashlib.sha1(record["repo"].encode()).hexdigest()[:12]
    target = folder / f"{record['sha']}-{repo_key}.json"
    tmp = folder / f".{target.name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record, sort_keys=True))
    os.replace(tmp, target)
    return target


# --- sending -----------------------------------------------------------------------------------


@dataclass
class FlushResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0  # moved aside: the exporter refused them as invalid (422)
    remaining: int = 0
    error: str = ""
    busy: bool = False  # another flush held the spool
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "remaining": self.remaining,
            "error": self.error,
        }


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _post(url: str, api_key: str, commits: list[dict], timeout: float) -> dict:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url.rstrip("/") + INGEST_PATH,
        data=json.dumps({"commits": commits}).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {api_key}"} if api_key else {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        detail = e.read()[:300].decode("utf-8", "replace").strip()
        raise _Refused(e.code, f"exporter answered {e.code}: {detail or e.reason}") from None


def _settings() -> tuple[str, str]:
    from agent_analytics.cli import workstation  # yaml: only the sender pays for it

    ws = workstation.load()
    return ws.exporter_url, ws.api_key


def _send(files: list[Path], url: str, api_key: str, timeout: float, result: FlushResult) -> None:
    records, readable = [], []
    for path in files:
        try:
            records.append(json.loads(path.read_text()))
            readable.append(path)
        except FileNotFoundError:  # sent by a concurrent flush meanwhile
            continue
        except (OSError, ValueError):
            _set_aside(path, result)
    if not records:
        return
    try:
        answer = _post(url, api_key, records, timeout)
    except _Refused as e:
        if e.status in (413, 422) and len(readable) > 1:  # too large, or one bad record: split
            half = len(readable) // 2
            _send(readable[:half], url, api_key, timeout, result)
            _send(readable[half:], url, api_key, timeout, result)
            return
        if e.status == 422:
            _set_aside(readable[0], result)
            result.messages.append(str(e))
            return
        raise
    result.accepted += int(answer.get("accepted", 0))
    result.duplicates += int(answer.get("duplicates", 0))
    for path in readable:
        path.unlink(missing_ok=True)


def _set_aside(path: Path, result: FlushResult) -> None:
    aside = path.parent / "rejected"
    aside.mkdir(exist_ok=True)
    os.replace(path, aside / path.name)
    result.rejected += 1


def pending(folder: Path | None = None) -> list[Path]:
    folder = folder or spool_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def flush(wait: float = 0.0, timeout: float = HOOK_TIMEOUT, origin: str = "flush") -> FlushResult:
    """Send the spool. Waits up to `wait` seconds when another flush is running (0: give up)."""
    result = FlushResult()
    folder = spool_dir()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        url, api_key = _settings()
    except Exception as e:  # no config yet: keep everything for later
        result.error = str(e)
        result.remaining = len(pending(folder))
        _record_outcome(result, origin)
        return result
    with open(folder / ".lock", "a") as lock:
        while True:
            if not _lock(lock, wait):
                result.busy = True
                break
            try:
                while files := pending(folder):
                    for start in range(0, len(files), BATCH):
                        _send(files[start : start + BATCH], url, api_key, timeout, result)
            except _Refused as e:
                result.error = str(e)
            except OSError as e:  # refused, unreachable, timed out
                result.error = f"exporter at {url} unreachable: {getattr(e, 'reason', e)}"
            except Exception as e:  # an answer that is not the ingest API's
                result.error = f"unexpected answer from {url}{INGEST_PATH}: {e}"
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
            # A hook that spooled while we held the lock gave up on it: pick its file up too.
            if result.error or not pending(folder):
                break
    result.remaining = len(pending(folder))
    _record_outcome(result, origin)
    return result


def _lock(lock, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def log_path() -> Path:
    """One line per send attempt: when, who (hook or flush), and what came of it."""
    return state_dir() / "hook.log"


def last_outcome() -> str:
    try:
        lines = log_path().read_text().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


def _record_outcome(result: FlushResult, origin: str) -> None:
    if result.busy:
        outcome = "another send was running"
    elif result.error:
        outcome = f"error: {result.error}"
    else:
        outcome = f"sent {result.accepted}, duplicates {result.duplicates}, rejected {result.rejected}"
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {origin}: {outcome}; {result.remaining} spooled\n"
    with contextlib.suppress(OSError):
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            f.write(line)
        if path.stat().st_size > LOG_LIMIT:  # keep the newest half
            text = path.read_text()
            path.write_text(text[len(text) // 2 :].split("\n", 1)[-1])


# --- the hook ----------------------------------------------------------------------------------


def post_commit() -> None:
    spool(collect())
    _flush_in_background()


def _flush_in_background() -> None:
    if os.fork() != 0:
        return
    # The child: its own session, no terminal, no inherited pipes (git and its callers
    # must not wait for it), and whatever happens it exits quietly.
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        flush(wait=0.0, timeout=HOOK_TIMEOUT, origin="hook")
    finally:
        os._exit(0)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "post-commit":
        if os.environ.get(DISABLE_VARIABLE, "").lower() in ("off", "0", "false"):
            return 0
        with contextlib.suppress(Exception):  # the commit is made already: never fail it
            post_commit()
        return 0
    if command == "flush":
        result = flush(wait=30.0, timeout=FLUSH_TIMEOUT)
        print(json.dumps(result.as_dict()))
        return 1 if result.error else 0
    print("usage: python -m agent_analytics.cli.hook_runner post-commit|flush", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
