"""The import rules: ``handlers → bot → storage``; inside ``bot/``, capability packages stacked so that imports
point one way down. The core never needs a chat platform's SDK; the doors never touch SQL."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("slack_bolt", "slack_sdk", "microsoft_teams")

# Runs in a fresh interpreter so nothing already imported by the test session can hide a Slack import.
IMPORT_BOT_WITHOUT_SLACK = f"""
import importlib, json, pkgutil, sys

BLOCKED = {BLOCKED!r}

class BlockSlack:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is blocked: bot/ must not import a platform SDK")
        return None

sys.meta_path.insert(0, BlockSlack())

try:
    import handlers.slack.app
except ImportError:
    blocker_works = True
else:
    blocker_works = False

import bot
imported, failed = [], {{}}
for module in pkgutil.walk_packages(bot.__path__, "bot."):
    if module.name == "bot.__main__":
        continue
    try:
        importlib.import_module(module.name)
        imported.append(module.name)
    except Exception as error:
        failed[module.name] = f"{{type(error).__name__}}: {{error}}"
print(json.dumps({{
    "blocker_works": blocker_works,
    "imported": imported,
    "failed": failed,
    "slack_loaded": sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED),
}}))
"""


def test_every_bot_module_imports_with_slack_blocked() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_BOT_WITHOUT_SLACK], cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["blocker_works"], "the Slack blocker must actually stop handlers.slack from importing"
    assert report["failed"] == {}
    assert report["slack_loaded"] == []
    expected = {module_name(path) for path in (ROOT / "bot").rglob("*.py")} - {"bot", "bot.__main__"}
    assert expected <= set(report["imported"])
    assert {"bot.agenda.listing", "bot.agenda.questions", "bot.assistant", "bot.agenda.catalog"} <= set(report["imported"])


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module.split(".")[0] == "bot":  # ``from bot.reminders import replies`` imports a module
                names.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name[:1].islower())
    return names


def test_handlers_never_import_sqlalchemy_or_storage() -> None:
    files = sorted((ROOT / "handlers").rglob("*.py"))
    assert files, "handlers/ should hold the platform doors"

    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] in ("sqlalchemy", "storage")
        )
        for path in files
    }

    assert {path: names for path, names in offenders.items() if names} == {}


def test_handlers_import_lines_do_not_mention_sql_either() -> None:
    """A plain text check as well, so dynamic tricks such as ``__import__("storage")`` are caught too."""
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if "import" in code:
                assert "sqlalchemy" not in code and "storage" not in code, (
                    f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                )


def test_the_import_checker_sees_nested_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from storage.db import Database\n    import sqlalchemy.orm\n")

    assert imported_modules(sample) == {"os", "storage.db", "sqlalchemy.orm"}


# --- the order of bot/'s packages ------------------------------------------------------------------------

# Lowest first. A module may import its own layer and the ones below, never one above. The top layer is the
# front door and what knows every capability (the renderer registry, the worker, App Home, event setup).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "kernel",
        (
            "bot",
            "bot.replies",
            "bot.text",
            "bot.timefmt",
            "bot.clock",
            "bot.errors",
            "bot.config",
            "bot.audit",
            "bot.lang",
            "bot.heap",
        ),
    ),
    ("sources", ("bot.sources",)),
    ("delivery", ("bot.delivery",)),
    ("agenda", ("bot.agenda",)),
    ("reminders", ("bot.reminders",)),
    ("partnering", ("bot.partnering",)),
    ("people", ("bot.people",)),
    ("announcements", ("bot.announcements",)),
    ("dashboard", ("bot.dashboard",)),
    ("privacy", ("bot.privacy",)),
    (
        "front door",
        (
            "bot.assistant",
            "bot.messages",
            "bot.worker",
            "bot.home",
            "bot.event_setup",
            "bot.demo",
            "bot.__main__",
            "bot.importing",
            "bot.import_command",
            "bot.agenda_sync",
            "bot.housekeeping",
        ),
    ),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    """The layer of a ``bot`` module (the longest matching prefix wins), or None when it is in none."""
    best: tuple[int, int] | None = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or (prefix != "bot" and module.startswith(prefix + "."))
            if inside and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import in ``graph`` (module -> what it imports) that points up the stack, and every bot module
    in no layer (a new package is placed in the stack before it is used)."""
    problems = []
    for module, imports in sorted(graph.items()):
        mine = layer_of(module)
        if mine is None:
            problems.append(f"{module} is in no layer")
            continue
        for name in sorted(i for i in imports if i == "bot" or i.startswith("bot.")):
            theirs = layer_of(name)
            if theirs is None:
                problems.append(f"{module} imports {name}, which is in no layer")
            elif theirs > mine:
                problems.append(f"{module} ({LAYERS[mine][0]}) imports {name} ({LAYERS[theirs][0]})")
    return problems


def bot_import_graph() -> dict[str, set[str]]:
    return {module_name(path): imported_modules(path) for path in sorted((ROOT / "bot").rglob("*.py"))}


def test_bot_packages_import_only_downwards() -> None:
    graph = bot_import_graph()
    assert {"bot.agenda.listing", "bot.delivery.outbox", "bot.assistant"} <= set(graph)
    assert layer_violations(graph) == []


def test_the_layer_check_catches_an_upward_import_and_an_unplaced_module() -> None:
    graph = {
        "bot.agenda.listing": {"bot.agenda.catalog", "bot.replies", "storage.models"},  # fine: own package, kernel
        "bot.agenda.questions": {"bot.reminders.bookmarks"},  # the agenda must not know reminders
        "bot.delivery.outbox": {"bot.partnering.views"},  # delivery knows no capability
        "bot.replies": {"bot.agenda.catalog"},  # the kernel knows no capability
        "bot.partnering.requests": {"bot.reminders.bookmarks", "bot.agenda"},  # fine: both below
        "bot.messages": {"bot.announcements.replies"},  # fine: the top knows everything
        "bot.newthing.pages": {"bot.replies"},  # a new package nobody placed
    }

    assert layer_violations(graph) == [
        "bot.agenda.questions (agenda) imports bot.reminders.bookmarks (reminders)",
        "bot.delivery.outbox (delivery) imports bot.partnering.views (partnering)",
        "bot.newthing.pages is in no layer",
        "bot.replies (kernel) imports bot.agenda.catalog (agenda)",
    ]


def test_from_package_imports_count_as_imports_of_the_module(tmp_path: Path) -> None:
    """``from bot.reminders import replies`` imports ``bot.reminders.replies``, not only the package."""
    sample = tmp_path / "sample.py"
    sample.write_text("from bot.reminders import replies as rr\nfrom bot.agenda.catalog import Catalog\n")

    assert imported_modules(sample) == {"bot.reminders", "bot.reminders.replies", "bot.agenda.catalog"}
