"""Sends the commits the git hook spooled to the exporter's ingest API (`POST /api/v1/commits`).

Started detached by every hook (`--background`) and by `agent-analytics hook flush`. Whenever
it runs it sends the whole spool, not only the newest commit. One sender sends at a time (the
spool's lock; a hook's sender waits a moment for another one's pass, then leaves its commit to
it); a background sender that finds the exporter unreachable stays on as the one
retrier: it tries again with growing pauses until the spool is empty, and gives up an hour
after the newest commit was spooled (`AGENT_ANALYTICS_HOOK_RETRY` seconds; 0: never retry).

A spool file is deleted only once the exporter acknowledged it; the exporter dedupes by (repo,
sha), so a file sent twice (say, the sender was killed between the answer and the delete) is
still counted once. Files that cannot be read or that the exporter refuses as invalid (422)
are moved to `spool/rejected/`, never dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from agent_analytics.vocabulary.repo_id import repo_id
from agent_analytics.workstation import hook_spool, paths

INGEST_PATH = "/api/v1/commits"
REPORT = "?report=commits"  # the answer then says what became of each commit
BATCH = 200
BACKGROUND_TIMEOUT = 1.0  # seconds per request, from a hook's sender
BACKGROUND_WAIT = 2.0  # seconds a hook's sender waits for another one's pass (a request or two)
FLUSH_TIMEOUT = 10.0  # seconds per request, from `hook flush`
LOG_LIMIT = 64 * 1024

RETRY_VARIABLE = "AGENT_ANALYTICS_HOOK_RETRY"
RETRY_FOR = 3600.0  # seconds after the newest spooled commit
RETRY_FIRST = 1.0  # the first pause; each failure doubles it...
RETRY_LONGEST = 60.0  # ...up to this
SEND_LOCK = ".lock"
RETRY_LOCK = ".retry"


def spool_dir() -> Path:
    return paths.spool_dir()


def log_path() -> Path:
    """One line per commit read and per send attempt: when, what came of it."""
    return paths.hook_log_path()


def pending(folder: Path | None = None) -> list[Path]:
    return hook_spool.pending(folder or spool_dir())


def record_from_capture(capture: dict, identity: dict[str, str] | None = None) -> dict:
    """The ingest record of one spooled capture (raw `git log` output plus context).

    `identity` is the workstation's developer_id/team_id (the ids `init` also gave Claude
    Code's telemetry), so the exporter labels the commit as the spend is labelled.
    """
    sha, name, email, authored, committed, trailers, numstat = capture["log"].split("\0", 6)
    added = deleted = files = 0
    for line in numstat.splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3:
            continue
        files += 1
        added += int(parts[0]) if parts[0].isdigit() else 0  # "-" for binary files
        deleted += int(parts[1]) if parts[1].isdigit() else 0
    return {
        "repo": repo_id(capture["path"], capture.get("origin", "")),
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
        "agent_env": dict(capture.get("agent_env", {})),
        **{k: v for k, v in (identity or {}).items() if v},
    }


@dataclass
class FlushResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0  # moved to spool/rejected: unreadable, or refused by the exporter as invalid
    remaining: int = 0
    error: str = ""
    busy: bool = False  # another sender held the spool
    unreachable: bool = False  # no answer from the exporter at all (down, wrong URL, network)
    status: int = 0  # the exporter's HTTP status when it refused
    messages: list[str] = field(default_factory=list)
    commits: list[dict] = field(default_factory=list)  # the exporter's word on each: repo, sha, result, labels

    @property
    def worth_retrying(self) -> bool:
        """The exporter is away or overloaded, not refusing: trying again later can succeed."""
        return self.unreachable or self.status >= 500 or self.status == 429

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "remaining": self.remaining,
            "error": self.error,
        }


class CaptureFailed(Exception):
    """A recorded commit could not be read now; it stays recorded."""


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def post(url: str, api_key: str, commits: list[dict], timeout: float) -> dict:
    request = urllib.request.Request(
        url.rstrip("/") + INGEST_PATH + REPORT,
        data=json.dumps({"commits": commits}).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {api_key}"} if api_key else {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        detail = e.read()[:300].decode("utf-8", "replace").strip()
        raise Refused(e.code, f"exporter answered {e.code}: {detail or e.reason}") from None


def _set_aside(path: Path, result: FlushResult, why: str) -> None:
    aside = path.parent / "rejected"
    aside.mkdir(exist_ok=True)
    os.replace(path, aside / path.name)
    result.rejected += 1
    result.messages.append(f"{path.name}: {why}")


@dataclass(frozen=True)
class Target:
    """Where the spool goes, and who this workstation says it is."""

    url: str
    api_key: str
    identity: dict[str, str]


def _capture_records(folder: Path, result: FlushResult) -> None:
    """Read each commit the hook recorded from its repository while it is surely still there."""
    for record in hook_spool.records(folder):
        sha = record.name.split("-")[0]
        try:
            captured = hook_spool.capture(record)
        except FileNotFoundError:  # captured by `hook flush` meanwhile
            continue
        except hook_spool.Unfinished:
            if hook_spool.torn(record):
                _set_aside(record, result, "torn: its hook stopped while writing it (a full disk, or killed)")
                _log(f"commit {sha}: set aside, torn")
            continue  # else its hook is still writing it, and starts a sender when done
        except (LookupError, ValueError, UnicodeError) as e:
            _set_aside(record, result, str(e))
            _log(f"commit {sha}: set aside: {e}")
            continue
        except (OSError, subprocess.SubprocessError) as e:  # git too slow, or a spool it cannot write to
            raise CaptureFailed(f"cannot read the commit of {record.name}: {e}") from None
        variables = ", ".join(captured["agent_env"]) or "none"
        _log(f"commit {sha}: read from {captured['path']}; agent variables: {variables}")


def _send(files: list[Path], target: Target, timeout: float, result: FlushResult) -> None:
    records, readable = [], []
    for path in files:
        try:
            records.append(record_from_capture(json.loads(path.read_text()), target.identity))
            readable.append(path)
        except FileNotFoundError:  # sent by a concurrent sender meanwhile
            continue
        except (OSError, ValueError, KeyError, TypeError) as e:
            _set_aside(path, result, f"unreadable ({type(e).__name__})")
    if not records:
        return
    try:
        answer = post(target.url, target.api_key, records, timeout)
    except Refused as e:
        if e.status in (413, 422) and len(readable) > 1:  # too large, or one bad record: split
            half = len(readable) // 2
            _send(readable[:half], target, timeout, result)
            _send(readable[half:], target, timeout, result)
            return
        if e.status == 422:
            _set_aside(readable[0], result, str(e))
            return
        raise
    result.accepted += int(answer.get("accepted", 0))
    result.duplicates += int(answer.get("duplicates", 0))
    result.commits += [c for c in answer.get("commits", []) if isinstance(c, dict)]
    for path in readable:
        path.unlink(missing_ok=True)


def _settings() -> Target:
    from agent_analytics.workstation import config as workstation

    ws = workstation.load()
    return Target(ws.exporter_url, ws.api_key, {"developer_id": ws.developer_id, "team_id": ws.team_id})


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


def _send_spool(folder: Path, timeout: float, result: FlushResult) -> None:
    """Capture what the hook recorded, then send every capture (the caller holds the lock)."""
    try:
        _capture_records(folder, result)
        if not hook_spool.captures(folder):
            return
        target = _settings()
    except Exception as e:  # no config yet, or a commit it cannot read now: keep everything for later
        result.error = str(e)
        return
    url = target.url
    try:
        while files := hook_spool.captures(folder):
            for start in range(0, len(files), BATCH):
                _send(files[start : start + BATCH], target, timeout, result)
            _capture_records(folder, result)  # recorded meanwhile
    except CaptureFailed as e:
        result.error = str(e)
    except Refused as e:
        result.error, result.status = str(e), e.status
    except OSError as e:  # refused, unreachable, timed out
        result.error = f"exporter at {url} unreachable: {getattr(e, 'reason', e)}"
        result.unreachable = True
    except Exception as e:  # an answer that is not the ingest API's
        result.error = f"unexpected answer from {url}{INGEST_PATH}: {e}"


def flush(wait: float = 0.0, timeout: float = BACKGROUND_TIMEOUT, origin: str = "flush") -> FlushResult:
    """Send the spool. Waits up to `wait` seconds when another sender is running (0: give up)."""
    result = FlushResult()
    folder = spool_dir()
    while hook_spool.ready(folder) and not result.error:
        with open(folder / SEND_LOCK, "a") as lock:
            if not _lock(lock, wait):
                result.busy = True
                break
            try:
                _send_spool(folder, timeout, result)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        # A hook that spooled while we held the lock found its sender busy: send its commit too.
    result.remaining = len(pending(folder))
    _record_outcome(result, origin)
    return result


def _newest_spooled(folder: Path) -> float:
    times = []
    for path in pending(folder):
        with contextlib.suppress(FileNotFoundError):
            times.append(path.stat().st_mtime)
    return max(times, default=0.0)


def retry_for() -> float:
    try:
        return max(0.0, float(os.environ.get(RETRY_VARIABLE, RETRY_FOR)))
    except ValueError:
        return RETRY_FOR


def retry_until_sent(window: float) -> None:
    """Try the spool again and again, pausing longer each time, until it is empty or `window`
    seconds have passed since the newest commit was spooled. Returns at once when another
    sender is retrying already: that one sends every commit, this one's included."""
    folder = spool_dir()
    with open(folder / RETRY_LOCK, "a") as token:
        try:
            fcntl.flock(token, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        pause = RETRY_FIRST
        while True:
            if time.time() + pause > _newest_spooled(folder) + window:
                if waiting := len(pending(folder)):
                    _log(f"retry: gave up; {waiting} spooled until the next commit or `agent-analytics hook flush`")
                return
            time.sleep(pause)
            if not folder.is_dir():  # the spool went away (its HOME was removed)
                return
            result = flush(wait=0.0, timeout=BACKGROUND_TIMEOUT, origin="retry")
            if not result.busy and not result.error and not result.remaining:
                return
            if result.error and not result.worth_retrying:  # refused: only a person can fix that
                return
            if not result.busy:
                pause = min(pause * 2, RETRY_LONGEST)


def retrying() -> bool:
    """Whether a background sender is waiting to try the spool again."""
    lock = spool_dir() / RETRY_LOCK
    if not lock.exists():
        return False
    with open(lock, "a") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
    return False


def last_outcome() -> str:
    """The last line about a send attempt (not about one commit)."""
    try:
        lines = log_path().read_text().splitlines()
    except OSError:
        return ""
    attempts = [line for line in lines if " commit " not in line[:32]]
    return attempts[-1] if attempts else ""


def _record_outcome(result: FlushResult, origin: str) -> None:
    if result.busy:
        outcome = "another send was running"
    elif result.error:
        outcome = f"error: {result.error}"
    else:
        outcome = f"sent {result.accepted}, duplicates {result.duplicates}, rejected {result.rejected}"
    _log(f"{origin}: {outcome}; {result.remaining} spooled")


def _log(line: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with contextlib.suppress(OSError):
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            f.write(f"{stamp} {line}\n")
        if path.stat().st_size > LOG_LIMIT:  # keep the newest half
            text = path.read_text()
            path.write_text(text[len(text) // 2 :].split("\n", 1)[-1])


def _detach() -> None:
    """Out of the commit's session (a closed terminal does not stop it) and out of its folder
    (which may be deleted meanwhile). The hook starts it at a lower priority (`nice`)."""
    with contextlib.suppress(OSError):
        os.setsid()
    os.chdir("/")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent_analytics.workstation.hook_sender", description=__doc__)
    parser.add_argument("--background", action="store_true", help="as started by the hook: never wait")
    args = parser.parse_args(argv)
    if args.background:
        _detach()
        window = retry_for()
        result = flush(wait=BACKGROUND_WAIT, timeout=BACKGROUND_TIMEOUT, origin="sender")
        if result.error and result.worth_retrying and window > 0:
            retry_until_sent(window)
        return 0
    result = flush(wait=30.0, timeout=FLUSH_TIMEOUT)
    print(json.dumps(result.as_dict()))
    return 1 if result.error or result.busy else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
