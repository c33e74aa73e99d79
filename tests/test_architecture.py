"""The import rule: ``handlers → bot → storage``. The core never needs Slack; the doors never touch SQL."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("slack_bolt", "slack_sdk")

# Runs in a fresh interpreter so nothing already imported by the test session can hide a Slack import.
IMPORT_BOT_WITHOUT_SLACK = f"""
import importlib, json, pkgutil, sys

BLOCKED = {BLOCKED!r}

class BlockSlack:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is blocked: bot/ must not import Slack")
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
    expected = {f"bot.{path.stem}" for path in (ROOT / "bot").glob("*.py") if path.stem not in ("__init__", "__main__")}
    assert expected <= set(report["imported"])
    assert {"bot.agenda", "bot.questions", "bot.assistant", "bot.catalog"} <= set(report["imported"])


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
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
