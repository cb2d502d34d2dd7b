"""The documentation site as its readers get it: built with MkDocs from mkdocs.yml and docs/,
and the element ids of a built page, which is what a link's #anchor lands on."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from agent_analytics.vocabulary.facts import DOCS_URL

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Site:
    folder: Path
    returncode: int
    output: str

    def page(self, url: str) -> Path:
        """The built file a URL of the published site (facts.DOCS_URL) serves."""
        assert url.startswith(DOCS_URL), f"{url} is not under {DOCS_URL}"
        path = urlsplit(url).path.removeprefix(urlsplit(DOCS_URL).path)
        return self.folder / path / "index.html" if path == "" or path.endswith("/") else self.folder / path


def build_site(folder: Path) -> Site:
    """`mkdocs build --strict` into folder: any warning (a broken link or anchor) fails it."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's notice on every build, not a finding
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml")]
        + ["--site-dir", str(folder)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    return Site(folder, done.returncode, done.stdout + done.stderr)


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


def element_ids(page: Path) -> set[str]:
    parser = _Ids()
    parser.feed(page.read_text())
    return parser.ids
