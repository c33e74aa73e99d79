"""The README is the front door and docs/ holds the reference: the event-file example is a complete, valid file, and
every link between them leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from bot.event_setup import load_event_file

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a Markdown page's headings: lower case, punctuation dropped, spaces to hyphens."""
    heads = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", head.strip().lower()).replace(" ", "-") for head in heads}


def test_the_event_file_example_loads(db, clock, tmp_path: Path) -> None:
    text = (ROOT / "docs" / "event-file.md").read_text(encoding="utf-8")
    start = text.index("```yaml\n") + len("```yaml\n")
    example = tmp_path / "event.yml"
    example.write_text(text[start : text.index("```", start)], encoding="utf-8")
    report = load_event_file(db, example, clock=clock)
    assert report.created and report.added == ["d1-olweus", "d1-partnering-morning"]
    assert (report.blocks, report.tables) == (2, 13)


def test_every_link_in_the_readme_and_docs_leads_to_a_file_and_heading() -> None:
    broken = []
    for page in [README, *DOCS]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists() or (anchor and anchor not in anchors(linked)):
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert not broken, broken


def test_the_readme_is_a_front_door_that_links_every_reference() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250  # the reference lives in docs/
    for section in ("## Two commands", "## Try it alone: the demo", "## Commands", "## Where to read on"):
        assert section in text
    unlinked = [page.name for page in DOCS if f"(docs/{page.name})" not in text]
    assert not unlinked, unlinked
