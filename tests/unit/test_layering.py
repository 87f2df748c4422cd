"""The core knows nothing of surfaces: no module under `bot/` imports an adapter or a platform SDK."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot

FORBIDDEN = frozenset({"adapters", "slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp"})
CORE = Path(bot.__file__).parent


def imported_roots(source: str) -> set[str]:
    """Top-level package names a module imports (absolute imports only; relative ones stay inside `bot`)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_the_import_scan_sees_every_form_of_import() -> None:
    source = (
        "import os, slack_sdk.web\n"
        "from adapters.console import chat\n"
        "from . import sibling\n"
        "def later():\n"
        "    import aiohttp\n"
        "    importlib.import_module('botbuilder.core')\n"
    )
    assert imported_roots(source) == {"os", "slack_sdk", "adapters", "aiohttp", "botbuilder"}


def test_core_has_modules_to_check() -> None:
    names = {path.relative_to(CORE).as_posix() for path in core_modules()}
    assert {"core.py", "commands.py", "domain/rotation.py", "services/agenda.py"} <= names


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: p.relative_to(CORE).as_posix())
def test_core_module_imports_no_adapter_or_platform_sdk(path: Path) -> None:
    assert imported_roots(path.read_text(encoding="utf-8")) & FORBIDDEN == set()
