"""One module per coding agent: how to point its telemetry at Agent Analytics, and how to check it.

Each module offers `path(home)`, `apply(ws, home) -> bool` (writes the agent's own settings file,
merged into what is there; returns whether the file changed) and `problems(ws, home) -> list[str]`
(what `doctor` reports as inconsistent with the workstation config).
"""

from types import ModuleType

from agent_analytics.workstation.agent_settings import claude_code, codex, copilot_cli, gemini_cli
from agent_analytics.workstation.agent_settings.common import SettingsError

WRITERS: dict[str, ModuleType] = {
    "claude-code": claude_code,
    "gemini-cli": gemini_cli,
    "codex": codex,
    "copilot-cli": copilot_cli,
}

__all__ = ["WRITERS", "SettingsError"]
