"""The files people deploy with stay in step with the code: `.env.example` and the README's settings table with
the settings class, the Dockerfile and compose.yaml with the CLI and the settings, the locks with pyproject.toml.

No container engine runs here, so this checks what can be checked without one: the files parse, every variable
they name is a setting, every command they run is one the CLI has and the README documents.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

from adapters.cli.main import main
from adapters.settings import Settings

ROOT = Path(__file__).parents[2]
SETTINGS = {field.alias for field in Settings.model_fields.values() if field.alias}
IMAGE = "customer-moment:latest"
# Variables the image itself sets that are not settings of the product.
RUNTIME_VARIABLES = {
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_NO_CACHE_DIR",
}


# ---------------------------------------------------------------- .env.example and the README


def env_example() -> list[tuple[str, str, list[str]]]:
    """(name, value, the comment lines above its block) for every assignment in `.env.example`."""
    entries, comments, in_block = [], [], False
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            comments, in_block = [], False
        elif line.startswith("#"):
            comments = [] if in_block else comments
            comments.append(line.lstrip("# "))
            in_block = False
        else:
            name, sep, value = line.partition("=")
            assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"not NAME=value: {line!r}"
            entries.append((name, value, list(comments)))
            in_block = True
    return entries


def readme_table_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_env_example_lists_every_setting_once_with_what_it_means() -> None:
    entries = env_example()
    names = [name for name, _, _ in entries]
    assert sorted(names) == sorted(SETTINGS), "every setting once, and nothing that is not a setting"
    assert all(comments for _, _, comments in entries), "each setting has a comment saying what it means"


def test_env_example_shows_every_default() -> None:
    shown = Settings.model_validate({name: value for name, value, _ in env_example()})
    assert shown.model_dump() == Settings.model_validate({}).model_dump()


def test_the_readme_settings_table_names_every_setting() -> None:
    assert readme_table_variables() == SETTINGS


# ---------------------------------------------------------------- the Dockerfile


@dataclass(frozen=True)
class Instruction:
    name: str
    flags: dict[str, str]
    args: str

    def words(self) -> list[str]:
        """The arguments: a JSON array (exec form) or shell words."""
        if self.args.startswith("["):
            words: list[str] = json.loads(self.args)
            return words
        return shlex.split(self.args)


def dockerfile(path: Path = ROOT / "Dockerfile") -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped (enough of the Dockerfile syntax for
    the checks below)."""
    logical, pending = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    instructions = []
    for text in logical:
        name, _, rest = text.strip().partition(" ")
        flags = {}
        rest = rest.strip()
        while match := re.match(r"--([a-z-]+)=(\S+)\s+", rest):
            flags[match.group(1)] = match.group(2)
            rest = rest[match.end() :]
        instructions.append(Instruction(name.upper(), flags, rest))
    known = {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD", "ARG"}
    assert {i.name for i in instructions} <= known
    return instructions


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    start = max(n for n, i in enumerate(instructions) if i.name == "FROM")
    return instructions[start:]


def dockerignore_allows(path: str) -> bool:
    """Whether the build context keeps ``path`` (.dockerignore here is "ignore everything, then allow")."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*", ".dockerignore starts by ignoring everything"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    return path.rstrip("/").removeprefix("./") in allowed


def test_the_image_is_small_runs_as_a_user_and_checks_its_health() -> None:
    instructions = dockerfile()
    stage = final_stage(instructions)
    assert all(i.args.split()[0] == "python:3.11-slim" for i in instructions if i.name == "FROM")
    (user,) = [i for i in stage if i.name == "USER"]
    assert user.args.split(":")[0] not in ("root", "0")
    (health,) = [i for i in stage if i.name == "HEALTHCHECK"]
    assert health.args.startswith("CMD ") and "/healthz" in health.args


def test_the_image_serves_by_default_and_every_command_it_runs_exists() -> None:
    stage = final_stage(dockerfile())
    (entrypoint,) = [i.words() for i in stage if i.name == "ENTRYPOINT"]
    (command,) = [i.words() for i in stage if i.name == "CMD"]
    assert entrypoint + command == ["customer-moment", "serve"]
    assert_cli_has(command)


def test_the_image_is_built_from_the_lock_without_resolving_again() -> None:
    runs = " && ".join(i.args for i in dockerfile() if i.name == "RUN")
    assert "pip install --require-hashes -r requirements.lock" in runs
    assert re.search(r"pip install --no-deps \.(\s|$)", runs)


def test_everything_the_image_copies_exists_and_is_sent_to_the_build() -> None:
    for copy in (i for i in dockerfile() if i.name == "COPY" and "from" not in i.flags):
        *sources, _target = copy.words()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert dockerignore_allows(source), f"{source} is excluded by .dockerignore"
    assert not dockerignore_allows(".env") and not dockerignore_allows(".venv")


def test_every_variable_the_image_sets_is_a_setting_or_the_runtime_s() -> None:
    for env in (i for i in dockerfile() if i.name == "ENV"):
        names = {word.split("=", 1)[0] for word in env.words()}
        assert names <= SETTINGS | RUNTIME_VARIABLES, names - SETTINGS - RUNTIME_VARIABLES


# ---------------------------------------------------------------- compose.yaml


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return document


def app_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose()["services"].items() if s.get("image") == IMAGE}


def assert_cli_has(command: list[str]) -> None:
    """The CLI accepts the command with its options (argparse exits 0 for --help of a real command, 2 otherwise),
    and the README documents it."""
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0, command
    documented = re.search(r"Commands: `customer-moment ([^`]+)`", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert documented and command[0] in [c.strip().split()[0] for c in documented.group(1).split("|")]


def test_compose_runs_postgres_a_one_shot_migrate_serve_and_an_optional_worker() -> None:
    services = compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    apps = app_services()
    assert {name: s["command"] for name, s in apps.items()} == {
        "migrate": ["migrate"],
        "serve": ["serve"],
        "worker": ["worker"],
    }
    assert apps["migrate"]["restart"] == "no"
    assert apps["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("serve", "worker"):
        assert apps[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert apps["worker"]["profiles"] == ["worker"] and "profiles" not in apps["serve"]
    assert apps["serve"]["ports"] == [f"{Settings.model_fields['port'].default}:3000"]
    for name in ("migrate", "worker"):  # no HTTP server: the image's health check does not apply
        assert apps[name]["healthcheck"] == {"disable": True}


def test_compose_commands_exist_and_its_settings_come_from_the_env_file() -> None:
    for service in app_services().values():
        assert_cli_has(service["command"])
        assert service["env_file"] == ".env" and (ROOT / ".env.example").exists()
        assert set(service["environment"]) <= SETTINGS
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")


# ---------------------------------------------------------------- the locks


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """name → (pinned version, number of hashes) for every requirement in a lock."""
    pins: dict[str, tuple[str, int]] = {}
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line.split(" --hash")[0].strip())
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            pins[requirement.name.lower().replace("_", "-")] = (specifier.version, line.count("--hash="))
    return pins


def declared(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        found += [Requirement(r) for r in project["optional-dependencies"][extra] if "customer-moment" not in r]
    return found


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", ()), ("requirements-dev.lock", ("test", "dev"))])
def test_each_lock_pins_every_declared_dependency_within_its_bounds_with_hashes(
    lock: str, extras: tuple[str, ...]
) -> None:
    pins = locked(ROOT / lock)
    assert all(hashes for _, hashes in pins.values()), "every pin is hash-checked"
    for requirement in declared(extras):
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in {lock}: regenerate the locks"
        assert requirement.specifier.contains(pins[name][0]), f"{lock} pins {name} {pins[name][0]}"
