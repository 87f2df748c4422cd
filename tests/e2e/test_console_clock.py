"""The simulated clock through the real `customer-moment console` process: the scheduler posts in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_console import project_on_path, run_console

__all__ = ["project_on_path"]  # the fixture, used below

START = ("--now", "2026-12-07 08:00 Europe/Berlin")

A_WEEK = """\
schedule weekly mon 10:00 Europe/Berlin lead 30m
remind 1 1d
story The parcel was lost twice | rang the depot | relieved | own the problem
clock
wait 1w
clock
"""


def test_waiting_a_week_prints_each_card_at_its_post_time(tmp_path: Path, project_on_path: None) -> None:
    done = run_console(tmp_path, A_WEEK, args=START)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    expected = [
        "It is Mon 7 Dec 2026 08:00 Europe/Berlin.",
        "── Mon 7 Dec 2026 08:00 Europe/Berlin",  # the first reminder is already late: sent at once
        "┌ (direct message to @alice) Coming up: the Customer Moment for Mon 7 Dec 10:00 CET",
        "── Mon 7 Dec 2026 09:30 Europe/Berlin",
        "┌ [posted in #support] Customer Moment · Mon 7 Dec 10:00 CET",
        "── Sun 13 Dec 2026 09:30 Europe/Berlin",
        "┌ (direct message to @alice) Coming up: the Customer Moment for Mon 14 Dec 10:00 CET",
        "It is now Mon 14 Dec 2026 08:00 Europe/Berlin.",
        "It is Mon 14 Dec 2026 08:00 Europe/Berlin.",
    ]
    assert [line for line in lines if line in expected] == expected
    assert lines[-1] == expected[-1]


def test_the_time_before_the_meeting_is_posted_the_week_after(tmp_path: Path, project_on_path: None) -> None:
    done = run_console(tmp_path, A_WEEK + "wait 2h\n", args=START)
    assert done.returncode == 0, done.stderr
    after = done.stdout.split("It is Mon 14 Dec 2026 08:00 Europe/Berlin.\n", 1)[1]
    assert after.splitlines()[:2] == [
        "── Mon 14 Dec 2026 09:30 Europe/Berlin",
        "┌ [posted in #support] Customer Moment · Mon 14 Dec 10:00 CET",
    ]
    assert after.splitlines()[-1] == "It is now Mon 14 Dec 2026 10:00 Europe/Berlin."


@pytest.mark.parametrize("value", ["tomorrow", "2026-12-07 08:00 Mars/Olympus", ""])
def test_an_unreadable_start_time_stops_with_one_line(tmp_path: Path, project_on_path: None, value: str) -> None:
    done = run_console(tmp_path, "clock\n", args=("--now", value))
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("customer-moment: --now")
    assert not (tmp_path / "cm.db").exists()  # nothing was started


def test_without_a_simulated_clock_waiting_is_explained(tmp_path: Path, project_on_path: None) -> None:
    done = run_console(tmp_path, "wait 1h\nclock\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "The console runs on the real time; start it with --now to move its clock with `wait`."
    assert lines[1].startswith("It is ") and lines[1].endswith(" Europe/Berlin (the real time).")


def test_the_readme_demo_is_what_the_console_prints(tmp_path: Path, project_on_path: None) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    script = readme.split("cat > weeks.txt <<'END'\n", 1)[1].split("END\n", 1)[0]
    printed = readme.split("<summary>What it prints</summary>\n\n```text\n", 1)[1].split("```\n", 1)[0]
    done = run_console(tmp_path, script, args=START)
    assert done.returncode == 0, done.stderr
    assert done.stdout == printed
