"""Real git repositories for the exporter's tests, with commits of known size."""

import subprocess
from pathlib import Path


class GitRepo:
    """A real git repository in a folder, with helpers to make commits of known size."""

    def __init__(self, path: Path, origin: str | None = None):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Person")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "commit.gpgsign", "false")
        if origin:
            self.git("remote", "add", "origin", origin)
        self._n = 0

    def git(self, *args: str, env: dict | None = None) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.path, check=True, capture_output=True, text=True, env=env
        ).stdout.strip()

    def commit(
        self,
        message: str,
        lines: int = 1,
        files: int = 1,
        author: str = "Dev One <dev.one@example.com>",
        delete: int = 0,
    ) -> str:
        """A commit adding `lines` lines to each of `files` new files (and deleting `delete` lines
        from the first file of the previous commit); returns its sha."""
        self._n += 1
        for f in range(files):
            (self.path / f"f{self._n}_{f}.txt").write_text("".join(f"line {i}\n" for i in range(lines)))
        if delete:
            prev = self.path / "shared.txt"
            content = prev.read_text().splitlines(keepends=True)
            prev.write_text("".join(content[delete:]))
        self.git("add", "-A")
        self.git("commit", "-q", "--author", author, "-m", message)
        return self.git("rev-parse", "HEAD")

    def sha(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev)
