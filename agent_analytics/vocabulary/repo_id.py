"""The one rule that names a repository, shared by the git hook and the exporter's scanner.

A commit is counted once per (repo, sha), so the hook and a repository scan must name the
same repository the same way: the `origin` remote normalised to host/owner/name (no scheme,
user, port or `.git`), or the folder name when there is no origin.
"""

import re
import subprocess
from pathlib import Path

_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")  # git@github.com:org/repo.git


def normalise_remote(url: str) -> str:
    url = url.strip()
    m = _SCP_LIKE.match(url)
    if m and "://" not in url:
        host, path = m.group(1), m.group(2)
    else:
        rest = url.split("://", 1)[-1]
        rest = rest.rsplit("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest
        host, _, path = rest.partition("/")
        host = host.split(":", 1)[0]
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return f"{host.lower()}/{path}" if host else path


def repo_id(path: str | Path, origin_url: str | None = None) -> str:
    """Name of the repository at `path`; pass `origin_url` when it is already known."""
    if origin_url is None:
        try:
            origin_url = subprocess.run(
                ["git", "-C", str(path), "config", "--get", "remote.origin.url"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            origin_url = ""
    if origin_url:
        return normalise_remote(origin_url)
    top = Path(path).resolve()
    return top.name
