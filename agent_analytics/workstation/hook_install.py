"""Installing the post-commit hook without breaking the hooks a developer already has.

Globally, the hook goes into the folder of git's `core.hooksPath` when one is set; otherwise a
folder of ours becomes `core.hooksPath`, with pass-through scripts so that each repository's
own `.git/hooks/*` keep running. Per repository, it goes into the folder git really runs hooks
from (`git rev-parse --git-path hooks`, which honours `core.hooksPath`). An existing
post-commit hook is renamed next to ours and called first, with its exit status kept;
uninstalling puts it back byte for byte.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from agent_analytics.workstation import hook_spool
from agent_analytics.workstation.config import managed_hooks_dir, write_text_if_changed

MARKER = "# agent-analytics post-commit hook"
CHAINED_SUFFIX = ".pre-agent-analytics"
PASS_THROUGH_MARKER = "# agent-analytics pass-through"
SENDER_GONE = "not sent: no agent-analytics installation at"
TEMPLATE = Path(__file__).with_name("post_commit.sh")
# Left beside the hook by earlier versions, whose hook ran Python: removed on install and uninstall.
OLD_RUNTIME = "agent_analytics_hook_runtime"

# Where platformdirs puts the state folder, spelled in shell for the hook (a test keeps them equal).
STATE_DIRS = {
    "darwin": '"$HOME/Library/Application Support/agent-analytics"',
    "win32": '"${LOCALAPPDATA:-$HOME/AppData/Local}/agent-analytics/agent-analytics"',
    "linux": '"${XDG_STATE_HOME:-$HOME/.local/state}/agent-analytics"',
}


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


def record_script(python: str) -> str:
    """The shell functions that record a commit (`record`), for the interpreter `python` to send it."""
    values = {
        "PYTHON": shlex.quote(python),
        "STATE_DIR": STATE_DIRS.get(sys.platform, STATE_DIRS["linux"]),
        "AGENT_VARIABLES": " ".join(hook_spool.AGENT_VARIABLES),
        "AGENT_PREFIXES": " | ".join(f"{prefix}*" for prefix in hook_spool.AGENT_PREFIXES),
        "SECRET_NAMES": " | ".join(f"*{_any_case(word)}*" for word in hook_spool.SECRET_WORDS),
        "SENDER_GONE": SENDER_GONE,
        "RECORD": hook_spool.RECORD,
    }
    return re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], TEMPLATE.read_text())


# Client-side hooks a global core.hooksPath would hide from each repository's .git/hooks.
PASS_THROUGH = (
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "post-rewrite",
    "pre-auto-gc",
)


class HookError(Exception):
    """The hook cannot be installed or removed; the message says what to do."""


@dataclass
class HookChange:
    hooks_dir: Path
    action: str  # installed | unchanged | removed | absent
    chained: Path | None = None  # the developer's own hook, still called first
    core_hooks_path: str = ""  # set or unset by this change, when it did
    shared: bool = False  # the folder is the global core.hooksPath: its hook runs for every repository

    def as_dict(self) -> dict:
        return {
            "hooks_dir": str(self.hooks_dir),
            "action": self.action,
            "chained": str(self.chained) if self.chained else None,
            "core_hooks_path": self.core_hooks_path,
            "shared": self.shared,
        }


def hook_script(python: str, run_repo_hook: bool) -> str:
    repo_hook = ""
    if run_repo_hook:
        repo_hook = """# core.hooksPath hides the repository's own hook: run it too.
if [ -d .git ]; then own=.git/hooks/post-commit
else own="$(git rev-parse --git-common-dir 2>/dev/null)/hooks/post-commit"; fi
if [ -x "$own" ]; then
    "$own" "$@" || status=$?
fi
"""
    return f"""#!/bin/sh
{MARKER}: records each commit for Agent Analytics.
# Installed by `agent-analytics hook install`; `agent-analytics hook uninstall` restores what was here.
status=0
chained="${{0%/*}}/post-commit{CHAINED_SUFFIX}"
if [ -x "$chained" ]; then
    "$chained" "$@" || status=$?
fi
{repo_hook}
{record_script(python)}
record >/dev/null 2>&1
exit $status
"""


def pass_through_script(name: str) -> str:
    return f"""#!/bin/sh
{PASS_THROUGH_MARKER}: runs the repository's own {name} hook, which core.hooksPath would hide.
own="$(git rev-parse --git-common-dir 2>/dev/null)/hooks/{name}"
if [ -x "$own" ]; then
    exec "$own" "$@"
fi
exit 0
"""


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return False


def _git(*args: str, cwd: Path | None = None, check: bool = True) -> str:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, cwd=cwd)
    except FileNotFoundError:
        raise HookError("git is not installed: install git, then run this again") from None
    if check and out.returncode != 0:
        raise HookError(f"git {' '.join(args)} failed: {out.stderr.strip() or out.returncode}")
    return out.stdout.strip()


def global_hooks_path() -> str:
    return _git("config", "--global", "--get", "core.hooksPath", check=False)


def repo_hooks_dir(repo: Path) -> Path:
    if not repo.is_dir():
        raise HookError(f"{repo} is not a folder: pass the path of a git repository")
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--path-format=absolute", "--git-path", "hooks"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    if out.returncode != 0:
        raise HookError(f"{repo} is not a git repository: pass the path of one (or use --global)")
    return Path(out.stdout.strip())


def _install_into(hooks_dir: Path, python: str, run_repo_hook: bool) -> HookChange:
    hooks_dir.mkdir(parents=True, exist_ok=True)
    target = hooks_dir / "post-commit"
    chained = hooks_dir / f"post-commit{CHAINED_SUFFIX}"
    if (target.exists() or target.is_symlink()) and not is_ours(target):
        if chained.exists() or chained.is_symlink():
            raise HookError(f"both {target} and {chained} exist: move one of them away, then run this again")
        os.replace(target, chained)  # a rename keeps its bytes and mode for uninstall
    had_old_runtime = _remove_old_runtime(hooks_dir)
    changed = write_text_if_changed(target, hook_script(python, run_repo_hook), 0o755) or had_old_runtime
    return HookChange(hooks_dir, "installed" if changed else "unchanged", chained if chained.exists() else None)


def _uninstall_from(hooks_dir: Path) -> HookChange:
    target = hooks_dir / "post-commit"
    chained = hooks_dir / f"post-commit{CHAINED_SUFFIX}"
    if not is_ours(target):
        return HookChange(hooks_dir, "absent")
    target.unlink()
    _remove_old_runtime(hooks_dir)
    if chained.exists() or chained.is_symlink():
        os.replace(chained, target)
        return HookChange(hooks_dir, "removed", target)
    return HookChange(hooks_dir, "removed")


def _remove_old_runtime(hooks_dir: Path) -> bool:
    found = (hooks_dir / f"{OLD_RUNTIME}.py").exists()
    (hooks_dir / f"{OLD_RUNTIME}.py").unlink(missing_ok=True)
    cache = hooks_dir / "__pycache__"
    for compiled in cache.glob(f"{OLD_RUNTIME}.*.pyc"):
        compiled.unlink(missing_ok=True)
    if cache.is_dir() and not any(cache.iterdir()):
        cache.rmdir()
    return found


def _global_dir(current: str) -> Path:
    folder = Path(current).expanduser()
    if not folder.is_absolute():
        raise HookError(
            f"the global core.hooksPath {current!r} is relative to each repository: use --repo PATH instead"
        )
    return folder


def install_global(python: str = sys.executable) -> HookChange:
    current = global_hooks_path()
    managed = managed_hooks_dir()
    if current and _global_dir(current) != managed:
        return _install_into(_global_dir(current), python, run_repo_hook=False)
    for name in PASS_THROUGH:
        write_text_if_changed(managed / name, pass_through_script(name), 0o755)
    change = _install_into(managed, python, run_repo_hook=True)
    if not current:
        _git("config", "--global", "core.hooksPath", str(managed))
        change.action, change.core_hooks_path = "installed", str(managed)
    return change


def uninstall_global() -> HookChange:
    current = global_hooks_path()
    managed = managed_hooks_dir()
    if not current:
        return HookChange(managed, "absent")
    if _global_dir(current) != managed:
        return _uninstall_from(_global_dir(current))
    change = _uninstall_from(managed)
    for name in PASS_THROUGH:
        script = managed / name
        if PASS_THROUGH_MARKER in (script.read_text() if script.exists() else ""):
            script.unlink()
    _git("config", "--global", "--unset", "core.hooksPath", check=False)
    if not _git("config", "--global", "--get-regexp", r"^core\.", check=False):
        _git("config", "--global", "--remove-section", "core", check=False)
    if managed.is_dir() and not any(managed.iterdir()):
        managed.rmdir()
    change.action, change.core_hooks_path = "removed", str(managed)
    return change


def _runs_global_hooks(hooks_dir: Path) -> bool:
    """Whether `hooks_dir` is the folder of the global core.hooksPath (shared by every repository)."""
    current = global_hooks_path()
    if not current or not Path(current).expanduser().is_absolute():
        return False
    return Path(current).expanduser().resolve() == hooks_dir.resolve()


def install_repo(repo: Path, python: str = sys.executable) -> HookChange:
    hooks_dir = repo_hooks_dir(repo)
    if _runs_global_hooks(hooks_dir):
        # The repository runs the global hooks: the global hook (which also runs each
        # repository's own post-commit hook when the folder is ours) covers it already.
        change = install_global(python)
        change.shared = True
        return change
    return _install_into(hooks_dir, python, run_repo_hook=False)


def uninstall_repo(repo: Path) -> HookChange:
    hooks_dir = repo_hooks_dir(repo)
    if _runs_global_hooks(hooks_dir) and is_ours(hooks_dir / "post-commit"):
        own = _git("-C", str(repo), "rev-parse", "--path-format=absolute", "--git-common-dir", check=False)
        raise HookError(
            f"{repo} runs the global hook in {hooks_dir} (core.hooksPath), shared by every repository:"
            f" `agent-analytics hook uninstall --global` removes it everywhere; to skip it in this repository"
            f" only, run `git -C {repo} config core.hooksPath {Path(own) / 'hooks'}`"
        )
    return _uninstall_from(hooks_dir)


def installed_hook(repo: Path | None = None) -> Path | None:
    """The hook git runs for `repo` (or globally, without one), when it is ours."""
    if repo is not None:
        try:
            candidate = repo_hooks_dir(repo) / "post-commit"
        except HookError:
            return None
    else:
        current = global_hooks_path()
        if not current:
            return None
        try:
            candidate = _global_dir(current) / "post-commit"
        except HookError:
            return None
    return candidate if is_ours(candidate) else None


def hook_python(script: Path) -> str:
    """The interpreter an installed hook starts its sender with (it must still exist)."""
    for line in script.read_text().splitlines():
        if line.startswith("python="):
            words = shlex.split(line.removeprefix("python="))
            return words[0] if words else ""
    return ""


def runs_this_installation(script: Path) -> bool:
    """Whether the hook is the one this installation writes (same version, same interpreter)."""
    text = script.read_text()
    return text in (hook_script(sys.executable, run_repo_hook) for run_repo_hook in (False, True))
