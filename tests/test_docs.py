"""The documentation: the README stays a front page, the site builds with no broken link or
anchor, and every link from the front page into the site lands on a page and a section."""

from __future__ import annotations

import re

from agent_analytics.vocabulary.facts import DOCS_URL
from tests.conftest import ROOT
from tests.support.docs_site import element_ids

README = ROOT / "README.md"


def test_the_readme_is_a_front_page():
    lines = README.read_text().splitlines()
    assert len(lines) <= 260, f"README.md has {len(lines)} lines: move detail into docs/"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == ["## Set up", "## A five-minute tour", "## Read on"], headings


def test_the_site_is_published_where_the_alerts_and_the_readme_link_to():
    site_url = re.search(r"^site_url: (\S+)$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)
    assert site_url and site_url.group(1) == DOCS_URL


def test_every_docs_page_is_built_and_the_home_page_is_the_readme(docs_site):
    pages = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))
    assert {"index", "runbooks", "configuration", "performance"} <= set(pages)
    for stem in pages:
        url = DOCS_URL if stem == "index" else f"{DOCS_URL}{stem}/"
        assert docs_site.page(url).is_file(), f"docs/{stem}.md was not built"
    home = element_ids(docs_site.page(DOCS_URL))
    assert {"set-up", "a-five-minute-tour", "read-on"} <= home


def test_every_link_of_the_readme_into_the_site_lands_on_a_page_and_section(docs_site):
    links = re.findall(r"\((" + re.escape(DOCS_URL) + r"[^)\s]*)\)", README.read_text())
    assert len(links) >= 12, links  # the tour, troubleshooting and every page of "Read on"
    for link in links:
        url, _, anchor = link.partition("#")
        page = docs_site.page(url)
        assert page.is_file(), f"README links {link}: no such page"
        if anchor:
            assert anchor in element_ids(page), f"README links {link}: no such section"
