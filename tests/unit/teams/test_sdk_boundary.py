"""botbuilder stays inside the Teams adapter, and inside it only in the modules that face the SDK.

Moving to the Microsoft 365 Agents SDK then means replacing those modules; the activity ↔ core mapping
(pure functions over JSON dicts) and the turn logic stay as they are.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import adapters
import adapters.teams

SDK_ROOTS = frozenset({"botbuilder", "botframework", "msrest"})
SDK_FACING = frozenset({"sdk", "connector", "bot", "endpoint", "surface"})
TEAMS = Path(adapters.teams.__file__).parent
ADAPTERS = Path(adapters.__file__).parent


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def teams_modules() -> list[Path]:
    return sorted(p for p in TEAMS.glob("*.py") if p.stem != "__init__")


def test_the_sdk_facing_modules_exist() -> None:
    assert {p.stem for p in teams_modules()} >= SDK_FACING


@pytest.mark.parametrize("path", sorted(ADAPTERS.rglob("*.py")), ids=lambda p: p.relative_to(ADAPTERS).as_posix())
def test_no_adapter_outside_teams_imports_botbuilder(path: Path) -> None:
    if TEAMS in path.parents:
        return
    assert {name.split(".")[0] for name in imports(path)} & SDK_ROOTS == set()


@pytest.mark.parametrize("path", teams_modules(), ids=lambda p: p.stem)
def test_mapping_and_turn_logic_do_not_reach_the_sdk(path: Path) -> None:
    if path.stem in SDK_FACING:
        return
    names = imports(path)
    assert {name.split(".")[0] for name in names} & SDK_ROOTS == set()
    teams_imports = {name.removeprefix("adapters.teams.") for name in names if name.startswith("adapters.teams.")}
    assert teams_imports & SDK_FACING == set(), f"{path.stem} imports an SDK-facing module"
