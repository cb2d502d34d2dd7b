"""The real agent CLIs as installed by `make real-clients` (npm, into a folder outside the
checkout), and how to run each one offline: a fresh HOME configured the way `init` configures it,
plus what points the client at the model stand-in instead of its vendor."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from agent_analytics.workstation.agent_settings import claude_code, codex, copilot_cli, gemini_cli
from agent_analytics.workstation.config import Workstation

CLIENTS_DIR = Path(
    os.environ.get("AGENT_ANALYTICS_CLIENTS_DIR") or Path.home() / ".cache" / "agent-analytics" / "real-clients"
)
BIN = CLIENTS_DIR / "node_modules" / ".bin"

# npm package -> the command it installs
PACKAGES = {
    "@anthropic-ai/claude-code": "claude",
    "@google/gemini-cli": "gemini",
    "@openai/codex": "codex",
    "@github/copilot": "copilot",
}

PROMPT = "Say hello in one short sentence."


@dataclass
class Run:
    command: list[str]
    env: dict[str, str]
    cwd: Path


def binary(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make real-clients` to install the current agent CLIs")
    return path


def version(package: str) -> str:
    """The installed release, from the package's own package.json."""
    return json.loads((CLIENTS_DIR / "node_modules" / package / "package.json").read_text())["version"]


def make_workstation(folder: Path) -> tuple[Path, Path]:
    """A fresh (home, repo) pair under `folder`; the repo is a real git repository with one commit."""
    home, repo = folder / "home", folder / "repo"
    home.mkdir(parents=True)
    repo.mkdir()
    (repo / "README.md").write_text("# demo\n")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "."],
        ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "start"],
    ):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return home, repo


def base_env(home: Path) -> dict[str, str]:
    # an empty environment but PATH: nothing of the machine's own agent set-up leaks in
    return {"PATH": os.environ["PATH"], "HOME": str(home), "TERM": "dumb", "LANG": "C.UTF-8"}


def claude(ws: Workstation, home: Path, repo: Path, model_url: str, extra_env: dict | None = None) -> Run:
    claude_code.apply(ws, home)
    env = base_env(home) | {
        "ANTHROPIC_BASE_URL": model_url,
        "ANTHROPIC_API_KEY": "sk-ant-offline-dummy",
        "DISABLE_AUTOUPDATER": "1",
        "OTEL_LOG_USER_PROMPTS": "1",  # the user opts in; the collector must still drop the text
        **(extra_env or {}),
    }
    return Run([str(binary("claude")), "-p", PROMPT], env, repo)


def gateway_token(subject: str = "dev@example.com") -> str:
    """An unsigned JWT addressed to a Claude gateway: Claude Code decodes (never verifies) the token
    in ANTHROPIC_AUTH_TOKEN, and treats a session with `aud: claude-gateway` as plan-limited, so it
    reads the unified rate-limit headers (tests/fixtures/claude-code/statusline/README.md)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'aud': 'claude-gateway', 'sub': subject})}.unsigned"


def claude_in_terminal(home: Path, repo: Path, model_url: str) -> Run:
    """Claude Code's interactive session (the only one with a status line) on `PROMPT`, signed in as
    a Claude gateway user, onboarding and the folder's trust dialog marked done."""
    (home / ".claude.json").write_text(
        json.dumps(
            {
                "hasCompletedOnboarding": True,
                "theme": "dark",
                "projects": {str(repo): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}},
            }
        )
    )
    env = base_env(home) | {
        "ANTHROPIC_BASE_URL": model_url,
        "ANTHROPIC_AUTH_TOKEN": gateway_token(),
        "DISABLE_AUTOUPDATER": "1",
        "TERM": "xterm-256color",
    }
    return Run([str(binary("claude")), PROMPT], env, repo)


def in_terminal(spec: Run, done: Callable[[], bool], timeout: float = 120) -> bytes:
    """Run `spec` in a pseudo-terminal (120x40) until `done()` holds, then end it; returns what it
    drew. Fails when `done()` does not hold in time."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: never returns
        os.chdir(spec.cwd)
        os.execve(spec.command[0], spec.command, spec.env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen, deadline, finished = bytearray(), time.monotonic() + timeout, False
    try:
        while not (finished := done()) and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    screen += os.read(fd, 1 << 16)
                except OSError:  # the client exited
                    break
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert finished, f"{spec.command[0]} did not get there in {timeout}s; it drew: {bytes(screen[-2000:])!r}"
    return bytes(screen)


def gemini(ws: Workstation, home: Path, repo: Path, model_url: str) -> Run:
    settings = home / ".gemini" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    # what the offline run needs besides init's telemetry block: API-key auth, a fixed model, no
    # update checks, no usage statistics to Google
    settings.write_text(
        '{"security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": false}},'
        ' "privacy": {"usageStatisticsEnabled": false},'
        ' "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false},'
        ' "model": {"name": "gemini-2.5-flash"}}'
    )
    gemini_cli.apply(ws, home)
    env = base_env(home) | {
        "GEMINI_API_KEY": "offline-dummy",
        "GOOGLE_GEMINI_BASE_URL": model_url,
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
    }
    return Run([str(binary("gemini")), "--yolo", "-p", PROMPT], env, repo)


def codex_cli(ws: Workstation, home: Path, repo: Path, model_url: str) -> Run:
    config = codex.path(home)
    config.parent.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.document()
    doc.update(
        {
            "model": "gpt-5.5",
            "model_provider": "offline",
            "approval_policy": "never",
            "sandbox_mode": "danger-full-access",
            "check_for_update_on_startup": False,
        }
    )
    doc["analytics"] = {"enabled": False}
    doc["feedback"] = {"enabled": False}
    doc["model_providers"] = {
        "offline": {
            "name": "Offline stand-in",
            "base_url": f"{model_url}/v1",
            "env_key": "OPENAI_API_KEY",
            "wire_api": "responses",
            "request_max_retries": 0,
            "stream_max_retries": 0,
        }
    }
    config.write_text(tomlkit.dumps(doc))
    codex.apply(ws, home)
    env = base_env(home) | {"CODEX_HOME": str(config.parent), "OPENAI_API_KEY": "offline-dummy"}
    return Run([str(binary("codex")), "exec", "-C", str(repo), PROMPT], env, repo)


def copilot(ws: Workstation, home: Path, repo: Path, model_url: str) -> Run:
    copilot_cli.apply(ws, home)
    env = (
        base_env(home)
        | copilot_cli.read(home)
        | {
            "COPILOT_OFFLINE": "true",
            "COPILOT_AUTO_UPDATE": "false",
            "COPILOT_PROVIDER_BASE_URL": f"{model_url}/v1",
            "COPILOT_PROVIDER_API_KEY": "sk-offline-dummy",
            "COPILOT_MODEL": "gpt-4.1",
        }
    )
    return Run([str(binary("copilot")), "-p", PROMPT, "--allow-all-tools", "--trust-folder"], env, repo)


def run(spec: Run, timeout: float = 180) -> subprocess.CompletedProcess:
    out = subprocess.run(
        spec.command,
        cwd=spec.cwd,
        env=spec.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, f"{spec.command[0]} exited {out.returncode}: {out.stderr[-2000:]}"
    return out
