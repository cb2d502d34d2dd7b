"""What the git post-commit hook runs, inside every `git commit`: it must cost milliseconds.

The hook starts this file as a script with `python -I -S`: no site-packages, and imports of
`os` and `sys` only (subprocess, json, re, pathlib or platformdirs would each cost more than
the whole job). It records the raw facts of the commit in the spool (one file per commit,
written atomically), starts the sender (`hook_sender`, a full Python) detached with its
output closed, and exits 0 whatever happened: the commit is already made and never waits for
the network. Parsing the commit, naming the repository and talking to the exporter all
happen in the sender.
"""

from __future__ import annotations

import os
import sys

APP = "agent-analytics"
DISABLE_VARIABLE = "AGENT_ANALYTICS_HOOK"  # "off" skips the hook entirely
CAPTURE_VERSION = 1
SENDER_GONE = "not sent: no agent-analytics installation at"

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
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")
MAX_VALUE = 256

# One `git log` gives every fact: NUL-separated header fields, then the --numstat lines.
# Author through .mailmap (%aN/%aE) and no numstat for merges, exactly as the exporter's scan
# reads history, so a commit counts the same whichever of the two sees it first.
LOG_FIELDS = ("%H", "%aN", "%aE", "%at", "%ct", "%(trailers:only,unfold)")
LOG_ARGS = (
    "log",
    "-1",
    "--no-color",
    "--format=" + "%x00".join(LOG_FIELDS) + "%x00",
    "--numstat",
    "HEAD",
)


def state_dir() -> str:
    """The platform's per-user state folder for agent-analytics (as platformdirs names it).

    Computed here without platformdirs because the hook cannot afford its import; a test
    keeps the two equal.
    """
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", APP)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, APP, APP)
    base = os.environ.get("XDG_STATE_HOME", "").strip() or os.path.join(home, ".local", "state")
    return os.path.join(base, APP)


def spool_dir() -> str:
    """One capture file per commit the exporter has not acknowledged yet."""
    return os.path.join(state_dir(), "spool")


def agent_env(environ) -> dict[str, str]:
    found = {}
    for name, value in environ.items():
        upper = name.upper()
        allowed = name in AGENT_VARIABLES or (
            name.startswith(AGENT_PREFIXES) and not any(word in upper for word in SECRET_WORDS)
        )
        if allowed and value:
            found[name] = value[:MAX_VALUE]
    return dict(sorted(found.items()))


_JSON_ESCAPES = {i: f"\\u{i:04x}" for i in range(32)} | {ord('"'): '\\"', ord("\\"): "\\\\"}


def json_text(value) -> str:
    """JSON for the str / dict-of-str / int values of a capture, without importing json."""
    if isinstance(value, str):
        return '"' + value.translate(_JSON_ESCAPES) + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json_text(k)}: {json_text(v)}" for k, v in value.items()) + "}"
    return str(int(value))


def _output(*argv: str) -> str:
    """stdout of a command, through posix_spawn (the subprocess module is too slow to import)."""
    read_end, write_end = os.pipe()
    actions = [
        (os.POSIX_SPAWN_DUP2, write_end, 1),
        (os.POSIX_SPAWN_CLOSE, write_end),
        (os.POSIX_SPAWN_CLOSE, read_end),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    try:
        pid = os.posix_spawnp(argv[0], list(argv), os.environ, file_actions=actions)
    finally:
        os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 1 << 16):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise OSError(f"{' '.join(argv[:2])} failed")
    return b"".join(chunks).decode("utf-8", "replace")


def _short_hash(text: str) -> str:
    """FNV-1a of the repository path: tells apart the same commit in two clones."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8", "replace"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{h:08x}"


def _origin_from_config_file() -> str | None:
    """`remote.origin.url` read straight from .git/config: saves a git process per commit.

    None (ask git) unless the file is plain: a .git folder (not a worktree's .git file) with no
    include and no value spread over lines.
    """
    try:
        with open(os.path.join(".git", "config"), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    if "[include" in text or "\\\n" in text:
        return None
    section, url = "", ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line.replace(" ", "").lower()
        elif section == '[remote"origin"]' and line.lower().startswith("url") and "=" in line:
            key, _, value = line.partition("=")
            if key.strip().lower() == "url" and not url:
                url = value.strip()
    if url.startswith('"') or ";" in url or "#" in url:
        return None  # quoting or comments: let git read it
    return url


def _git_dir() -> str:
    """The repository's git folder, from the top of its working tree, without running git."""
    if os.path.isdir(".git"):
        return ".git"
    with open(".git", encoding="utf-8") as f:  # a worktree or submodule: "gitdir: <folder>"
        return f.read().strip().removeprefix("gitdir:").strip()


def replays_earlier_work(sha: str) -> bool:
    """Whether the newest entry of HEAD's reflog made `sha` by amending a commit or replaying one
    in a rebase (`git pull --rebase` too): the work was reported when it was first committed, and
    counting the new sha again would count it twice."""
    try:
        with open(os.path.join(_git_dir(), "logs", "HEAD"), "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            tail = f.read()
    except OSError:  # no reflog: count the commit
        return False
    line = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    head, _, message = line.partition("\t")
    fields = head.split(" ")
    if len(fields) < 2 or fields[1] != sha:
        return False
    action = message.split(":", 1)[0]
    return "amend" in action or "rebase" in action


def capture(environ=os.environ) -> str | None:
    """Spool the commit at HEAD of the repository in the current folder; returns the file, or
    None for a commit that replays earlier work (amend, rebase)."""
    log = _output("git", *LOG_ARGS)
    origin = _origin_from_config_file()
    if origin is None:
        try:
            origin = _output("git", "config", "--get", "remote.origin.url").strip()
        except OSError:  # no origin remote
            origin = ""
    sha = log.split("\0", 1)[0].strip()
    if len(sha) < 40 or not all(c in "0123456789abcdef" for c in sha):
        raise ValueError("git log did not start with a commit id")
    if replays_earlier_work(sha):
        return None
    path = os.getcwd()  # git runs post-commit at the top of the working tree
    text = json_text(
        {"version": str(CAPTURE_VERSION), "path": path, "origin": origin, "log": log, "agent_env": agent_env(environ)}
    )
    folder = spool_dir()
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, f"{sha}-{_short_hash(path)}.json")
    tmp = os.path.join(folder, f".{sha}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, target)
    return target


def log_path() -> str:
    """One line per commit spooled and per send attempt (the sender keeps it short)."""
    return os.path.join(state_dir(), "hook.log")


def log(message: str) -> None:
    import time  # built-in

    with open(log_path(), "a", encoding="utf-8") as f:
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {message}\n")


def sender_running() -> bool:
    """Whether a sender holds the spool now: it sends the file just written before it exits.

    (A sender re-reads the spool after releasing its lock, and this probe comes after the
    write: either the probe finds the lock free, or the sender sees the file.)
    """
    import fcntl  # a built-in module: cheap, unlike subprocess or pathlib

    fd = os.open(os.path.join(spool_dir(), ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases the probe's lock
    return False


def start_sender(python: str) -> bool:
    """The sender, detached: its own session, no terminal, nothing inherited to wait for.

    False when the installation that sends is gone: the commit stays spooled for `hook flush`.
    """
    if not os.access(python, os.X_OK):
        return False
    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    argv = [python, "-m", "agent_analytics.workstation.hook_sender", "--background"]
    try:  # at a lower priority: the developer's next command comes first
        os.posix_spawnp("nice", ["nice", "-n", "10", *argv], os.environ, file_actions=actions, setsid=True)
    except OSError:
        os.posix_spawn(python, argv, os.environ, file_actions=actions, setsid=True)
    return True


def main(argv: list[str]) -> int:
    # post-commit [--sender PYTHON]: the interpreter of the installation that sends (default: this one)
    if argv[:1] != ["post-commit"] or len(argv) not in (1, 3) or argv[1:2] not in ([], ["--sender"]):
        print("usage: python -I -S hook_runtime.py post-commit [--sender PYTHON]", file=sys.stderr)
        return 2
    sender = argv[2] if len(argv) == 3 else sys.executable
    if os.environ.get(DISABLE_VARIABLE, "").lower() in ("off", "0", "false"):
        return 0
    try:
        spooled = capture()
    except Exception:  # the commit is made already: never fail it, never print
        return 0
    try:
        if spooled is None:
            log("commit amended or replayed by a rebase: not counted again")
            return 0
        if sender_running():
            note = "a sender was running"
        elif start_sender(sender):
            note = "sender started"
        else:
            note = f"{SENDER_GONE} {sender}"
        log(f"commit {os.path.basename(spooled)[:12]}: spooled, {note}")
    except Exception:  # the next commit's sender, or `hook flush`, sends this one
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
