"""Escaping for mrkdwn, cutting to Block Kit limits, and reading slash command text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.text import ELLIPSIS, bold, cut, escape, escape_within, read_command, unescape


def test_escape_neutralises_mentions_and_links() -> None:
    assert (
        escape("<!channel> <@U1> <https://evil|x> & co")
        == "&lt;!channel&gt; &lt;@U1&gt; &lt;https://evil|x&gt; &amp; co"
    )


def test_ampersand_is_escaped_first() -> None:
    assert escape("&lt;") == "&amp;lt;"


@given(st.text())
def test_escape_round_trips(text: str) -> None:
    assert unescape(escape(text)) == text


@given(st.text(), st.integers(min_value=1, max_value=400))
def test_escape_within_stays_within_the_limit_and_never_splits_an_entity(text: str, limit: int) -> None:
    escaped = escape_within(text, limit)
    assert len(escaped) <= limit
    assert "<" not in escaped and ">" not in escaped
    assert text.startswith(unescape(escaped.removesuffix(ELLIPSIS)))


def cut_by_characters(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose escaped form fits before the ellipsis, taken one character at a time."""
    kept = ""
    for char in text:
        if len(escape(kept + char)) > limit - len(ELLIPSIS):
            break
        kept += char
    return escape(kept).rstrip() + ELLIPSIS


@given(st.text(alphabet="ab &<>\n", max_size=60) | st.text(), st.integers(min_value=1, max_value=400))
def test_escape_within_keeps_as_much_as_fits(text: str, limit: int) -> None:
    expected = escape(text) if len(escape(text)) <= limit else cut_by_characters(text, limit)
    assert escape_within(text, limit) == expected


def test_escape_within_marks_a_cut() -> None:
    assert escape_within("&" * 10, 12) == "&amp;&amp;" + ELLIPSIS
    assert escape_within("short", 10) == "short"


@given(st.text(), st.integers(min_value=0, max_value=200))
def test_cut_never_exceeds_the_limit(text: str, limit: int) -> None:
    result = cut(text, limit)
    assert len(result) <= limit
    assert result == text or result.endswith(ELLIPSIS) or limit == 0


def test_bold_heading_is_escaped() -> None:
    assert bold("Tom & <Jerry>", 150) == "*Tom &amp; &lt;Jerry&gt;*"
    assert bold("  ", 150) == ""


def test_read_command_rewrites_mentions_and_unescapes(slash_command: dict[str, str]) -> None:
    command = read_command(slash_command["text"])
    assert command.text == (
        "shoutout @U012ABCDEF @U345GHIJKL kept the customer <posted> & calm, see #general @here https://example.com"
    )
    assert command.mentioned == {"@U012ABCDEF": "ann", "@U345GHIJKL": ""}


def test_read_command_keeps_special_labels() -> None:
    assert read_command("<!subteam^S1|@support> <!date^1|Feb 18>").text == "@support Feb 18"


def test_typed_angle_brackets_never_become_mentions() -> None:
    command = read_command("story &lt;@U999&gt; said &lt;!channel&gt;")
    assert command.text == "story <@U999> said <!channel>"
    assert command.mentioned == {}
