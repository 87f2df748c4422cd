"""Whole sessions piped through the real `customer-moment console` process, on an SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.exercises import LIBRARY

SESSION = """\
help
story The parcel was lost twice | rang the depot | relieved | own the problem
shoutout @bob stayed on the call until the refund went through
as @bob
request
swap
done
helpful
helpful
queue
stats
export csv
as @alice
schedule weekly tue 10:00 Europe/Berlin lead 30m
export csv
export json
dance
story a | b | c | d | e
quit
request
"""

SECOND_SESSION = """\
mine
as @bob
mine
story The invoice was wrong | explain before they ask
"""


def run_console(
    workdir: Path, stdin: str, *, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run the console as a newcomer would, in ``workdir`` (no `.env` there) on ``workdir/cm.db``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT"} and not key.startswith(("SLACK_", "MICROSOFT_"))
    }
    environment["DATABASE_URL"] = f"sqlite:///{workdir / 'cm.db'}"
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli.main", "console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=workdir,
        env=environment,
        timeout=60,
        check=False,
    )


def scalar(database: Path, sql: str) -> object:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchone()[0]


@pytest.fixture
def project_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m adapters…` from a temporary directory still finds the project (installed editable)."""
    root = str(Path(__file__).resolve().parents[2])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))


def test_a_whole_session_in_the_console(tmp_path: Path, project_on_path: None) -> None:
    done = run_console(tmp_path, SESSION)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    expected_lines = [
        "Customer Moment — a customer story, exercise or shout-out in every meeting.",
        "Thanks! Your customer story #{story} is in the pool for upcoming meetings.",
        "Thanks! Your shout-out #{shoutout} is shared.",
        "(direct message to @bob) alice gave you a shout-out.",
        "You are now @bob.",
        "│ Why this one: A fresh shout-out, featured while it still means the most.",
        "│ Why this one: Never featured yet; waiting since",
        "│ Status: Presented ✔",
        "│ [👍 Helpful (1)]",
        "You already said this one was helpful — thanks!",
        "┌ Customer Moment queue · #support",
        "│ Stories submitted: 1",
        "│ Helpful votes: 1",
        "Only managers can export data.",
        "You are now @alice.",
        "Scheduled: every Tuesday at 10:00 (Europe/Berlin). The first meeting is ",
        "; I'll post the moment 30 min before.",
        "│   Tue ",
        "Exported 2 moments from #support. Saved to ",
        "I don't know the command 'dance'. Try `help` to see what I can do.",
        "Use at most four parts",
    ]
    story = scalar(tmp_path / "cm.db", "SELECT id FROM moments WHERE kind = 'story'")
    shoutout = scalar(tmp_path / "cm.db", "SELECT id FROM moments WHERE kind = 'shoutout'")
    position = 0
    for expected in expected_lines:
        found = out.find(expected.format(story=story, shoutout=shoutout), position)
        assert found >= 0, f"{expected!r} not in order in:\n{out}"
        position = found
    assert "[posted in #support]" in out
    assert "Something went wrong" not in out
    assert out.count("Customer Moment · ") >= 4  # request, swap, done and helpful each show the agenda card
    exports = sorted(path.name for path in tmp_path.glob("customer-moment-*"))
    assert [name.rsplit(".", 1)[1] for name in exports] == ["csv", "json"]
    csv_text = next(tmp_path.glob("customer-moment-*.csv")).read_text(encoding="utf-8")
    assert "The parcel was lost twice" in csv_text
    assert scalar(tmp_path / "cm.db", "SELECT count(*) FROM agenda_items") == 1  # nothing ran after `quit`


def test_the_second_session_finds_everything_and_seeds_nothing_twice(tmp_path: Path, project_on_path: None) -> None:
    database = tmp_path / "cm.db"
    assert run_console(tmp_path, SESSION).returncode == 0
    counts_sql = {
        "library": "SELECT count(*) FROM moments WHERE library_key IS NOT NULL",
        "members": "SELECT count(*) FROM members",
        "workspaces": "SELECT count(*) FROM workspaces",
        "teams": "SELECT count(*) FROM teams",
    }
    first = {name: scalar(database, sql) for name, sql in counts_sql.items()}
    assert first == {"library": len(LIBRARY), "members": 3, "workspaces": 1, "teams": 1}

    done = run_console(tmp_path, SECOND_SESSION)
    assert done.returncode == 0, done.stderr
    assert {name: scalar(database, sql) for name, sql in counts_sql.items()} == first
    story = scalar(database, "SELECT min(id) FROM moments WHERE kind = 'story'")
    assert f"#{story} · Customer story · approved · The parcel was lost twice" in done.stdout
    assert "│ Shout-outs for you" in done.stdout
    assert f"Thanks! Your customer story #{int(story) + 2} is in the pool" in done.stdout  # type: ignore[call-overload]
    assert scalar(database, "SELECT role FROM members WHERE external_id = 'alice'") == "admin"
    assert scalar(database, "SELECT zone FROM teams") == "Europe/Berlin"


def test_acting_as_someone_from_the_start(tmp_path: Path, project_on_path: None) -> None:
    done = run_console(tmp_path, "mine\nexport\n", args=("--as", "@carol"))
    assert done.returncode == 0, done.stderr
    assert "Nothing yet — try `story`." in done.stdout
    assert "Only managers can export data." in done.stdout


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("LOG_LEVEL", "LOUD", "use DEBUG, INFO, WARNING or ERROR"),
        ("DATABASE_URL", "mysql://x", "use a sqlite:/// or postgresql:// URL"),
    ],
)
def test_an_invalid_setting_stops_start_up_with_one_line_naming_it(
    tmp_path: Path, project_on_path: None, variable: str, value: str, problem: str
) -> None:
    done = run_console(tmp_path, "help\n", env={variable: value})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"customer-moment: Invalid setting {variable}: {problem}"]
    assert list(tmp_path.iterdir()) == []  # no database file was created
