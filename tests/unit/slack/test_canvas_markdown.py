"""The board as canvas markdown: one heading, people's text kept as text; Slack errors → board outcomes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.canvas import MAX_TEXT, markdown, outcome_of, plain
from bot.ports import BoardStatus
from bot.replies import Board, BoardEntry
from tests.unit.slack.test_delivery_rules import api_error

ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # how CommonMark reads a backslash before punctuation
MARKUP = set("\\`*_{}[]()#+-.!|<>~&:=^$")


def as_read(escaped: str) -> str:
    return ESCAPED.sub(r"\1", escaped)


@given(st.text(max_size=400))
def test_people_text_reads_back_as_written_on_one_line(text: str) -> None:
    line = " ".join(text.split())
    shown = as_read(plain(text))
    assert "\n" not in shown
    assert shown == line if len(line) <= MAX_TEXT else shown == line[: MAX_TEXT - 1].rstrip() + "…"


@given(st.text(alphabet=st.sampled_from([*sorted(MARKUP), "a", " "]), max_size=60))
def test_no_markup_character_is_left_unescaped(text: str) -> None:
    escaped = plain(text)
    index = 0
    while index < len(escaped):
        if escaped[index] == "\\":
            index += 2  # an escape pair
            continue
        assert escaped[index] not in MARKUP, escaped
        index += 1


@given(st.text(max_size=200), st.text(max_size=200), st.text(max_size=60))
def test_the_section_has_exactly_one_heading_whatever_people_wrote(title: str, summary: str, name: str) -> None:
    entry = BoardEntry(title=title, summary=summary, presenter=name, why="Never featured yet.", when="Tue 10:00")
    text = markdown(Board(next=entry, presented=(entry, entry, entry)))
    headings = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert headings == ["## Customer Moment"]


def test_mentions_and_links_in_a_story_stay_text() -> None:
    text = markdown(Board(next=BoardEntry(title="Ping ![](@U1) <!channel> [site](https://x.test)")))
    assert "![](@U1)" not in text and "[site](" not in text and "<!channel>" not in text
    assert "Ping ![](@U1) <!channel> [site](https://x.test)" in as_read(text)


def test_an_empty_board_says_so() -> None:
    assert "No moment is planned yet" in as_read(markdown(Board()))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("team_tier_cannot_create_channel_canvases", BoardStatus.PLAN),
        ("missing_scope", BoardStatus.SCOPE),
        ("not_allowed", BoardStatus.NOT_ALLOWED),
        ("channel_canvas_already_exists", BoardStatus.GONE),
        ("not_in_channel", BoardStatus.GONE),
        ("something_new", BoardStatus.FAILED),
        ("internal_error", BoardStatus.RETRY),
    ],
)
def test_slack_errors_become_board_outcomes(error: str, status: BoardStatus) -> None:
    assert outcome_of(api_error(error), channel="C1").status is status


def test_a_rate_limit_carries_its_retry_after() -> None:
    outcome = outcome_of(api_error("ratelimited", 429, {"Retry-After": "30"}), channel="C1")
    assert outcome.status is BoardStatus.RETRY and outcome.retry_after == 30.0
