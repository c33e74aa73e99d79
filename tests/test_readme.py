"""The README's event-file example is a complete, valid file: it must keep loading."""

from __future__ import annotations

from pathlib import Path

from bot.event_setup import load_event_file

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_event_example_loads(db, clock, tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("```yaml\n") + len("```yaml\n")
    example = tmp_path / "event.yml"
    example.write_text(text[start : text.index("```", start)], encoding="utf-8")
    report = load_event_file(db, example, clock=clock)
    assert report.created and report.added == ["d1-olweus", "d1-partnering-morning"]
    assert (report.blocks, report.tables) == (2, 13)
