"""The layers hold: `bot/` knows nothing of surfaces, and surfaces see only the core's front door.

1. No module under `bot/` imports an adapter or a platform SDK.
2. Outside `bot/` (in `adapters/`), code imports from `bot` only the core's front door and its neutral
   language, the modules in ``CORE_FRONT_DOOR``:

   - `bot.core` — ``CustomerMoment``, the one call a surface makes;
   - `bot.events`, `bot.replies`, `bot.forms` — what goes in and what comes out;
   - `bot.commands` — the command table: which buttons update the agenda card, which form a submission
     came from (to show it again); read-only declarations a surface renders, never a service it calls;
   - `bot.ports` — what the core needs from a surface (delivery, its errors) and what it keeps for one
     (``Conversations``: proactive references, installs, archived channels, where keyed posts went);
   - `bot.secrets` — sealing secrets at rest with ``ENCRYPTION_KEY``, the same way for the core's tables
     and the tables a surface owns (Slack's installation store);
   - `bot.metrics` — the counters a surface adds to (platform calls, request times);
   - `bot.runtime` — added for start-up: it builds the engine, migrations, the core and the scheduler, and
     answers `customer-moment check`, so that no adapter needs `bot.storage` or `bot.scheduler` for it.

   Never `bot.storage`, `bot.services`, `bot.scheduler`, `bot.domain` or the core's models. Benchmarks and
   tests may reach further.
3. Only the composition root and the command line start the product: the platform folders import neither
   `adapters/cli` nor `adapters/composition.py`, nor `bot.runtime` itself; a surface's builder is handed what
   it needs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import adapters
import bot

FORBIDDEN = frozenset({"adapters", "slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp"})
CORE = Path(bot.__file__).parent
ADAPTERS = Path(adapters.__file__).parent
ROOT = CORE.parent

CORE_FRONT_DOOR = frozenset(
    {
        "bot.core",
        "bot.commands",
        "bot.events",
        "bot.replies",
        "bot.forms",
        "bot.ports",
        "bot.metrics",
        "bot.runtime",
        "bot.secrets",
        "bot.log_safety",  # what an error may say in a log line: its kind, never its message
    }
)
CORE_INTERNALS = ("bot.storage", "bot.services", "bot.scheduler", "bot.domain")
PLATFORM_FOLDERS = ("slack", "teams", "console", "http")
STARTING_THE_PRODUCT = ("adapters.cli", "adapters.composition", "bot.runtime")


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def _dynamic_import(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def imported_modules(source: str, *, package: str = "") -> Iterator[str]:
    """Dotted names of the modules a module imports, in every form (``from pkg import module`` included).

    ``package`` is the importing module's package, to resolve relative imports.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if _is_module(f"{base}.{alias.name}"))
        elif (name := _dynamic_import(node)) is not None:
            yield name


def imported_roots(source: str) -> set[str]:
    """Top-level package names a module imports (absolute imports only; relative ones stay inside `bot`)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (name := _dynamic_import(node)) is not None:
            roots.add(name.split(".")[0])
    return roots


def core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def adapter_modules() -> list[Path]:
    return sorted(ADAPTERS.rglob("*.py"))


def platform_modules() -> list[Path]:
    return sorted(path for folder in PLATFORM_FOLDERS for path in (ADAPTERS / folder).rglob("*.py"))


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parent.parts)


def _imports(path: Path) -> set[str]:
    return set(imported_modules(path.read_text(encoding="utf-8"), package=_package_of(path)))


def _within(name: str, packages: tuple[str, ...] | frozenset[str]) -> bool:
    return any(name == package or name.startswith(f"{package}.") for package in packages)


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


def test_the_module_scan_names_modules_imported_from_a_package() -> None:
    source = (
        "from bot import metrics, runtime as backend\n"
        "from bot.storage.models import Team\n"
        "import bot.services.context\n"
        "from .listeners import SlackListeners\n"
        "def later():\n"
        "    importlib.import_module('bot.scheduler.claims')\n"
    )
    assert set(imported_modules(source, package="adapters.slack")) == {
        "bot",
        "bot.metrics",
        "bot.runtime",
        "bot.storage.models",
        "bot.services.context",
        "adapters.slack.listeners",
        "bot.scheduler.claims",
    }


def test_core_has_modules_to_check() -> None:
    names = {path.relative_to(CORE).as_posix() for path in core_modules()}
    assert {"core.py", "commands.py", "domain/rotation.py", "services/agenda.py"} <= names


def test_adapters_have_modules_to_check() -> None:
    names = {path.relative_to(ADAPTERS).as_posix() for path in platform_modules()}
    assert {"slack/listeners.py", "teams/surface.py", "console/chat.py", "http/server.py"} <= names


def test_the_front_door_names_real_modules_and_no_internals() -> None:
    assert all(_is_module(name) for name in CORE_FRONT_DOOR)
    assert not any(_within(name, CORE_INTERNALS) for name in CORE_FRONT_DOOR)


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: p.relative_to(CORE).as_posix())
def test_core_module_imports_no_adapter_or_platform_sdk(path: Path) -> None:
    assert imported_roots(path.read_text(encoding="utf-8")) & FORBIDDEN == set()


@pytest.mark.parametrize("path", adapter_modules(), ids=lambda p: p.relative_to(ADAPTERS).as_posix())
def test_adapter_imports_only_the_cores_front_door(path: Path) -> None:
    from_core = {name for name in _imports(path) if _within(name, ("bot",)) and name != "bot"}
    assert from_core - CORE_FRONT_DOOR == set()


@pytest.mark.parametrize("path", platform_modules(), ids=lambda p: p.relative_to(ADAPTERS).as_posix())
def test_platform_folders_do_not_start_the_product(path: Path) -> None:
    assert {name for name in _imports(path) if _within(name, STARTING_THE_PRODUCT)} == set()
