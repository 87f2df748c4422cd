"""Reading the message a Teams message action was used on: its words and its author."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.capture import author_of, plain_text
from bot.events import Person

GUID = "0F6C2D3E-4B5A-4C6D-8E9F-A0B1C2D3E4F5"


def normalized(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


@given(st.text())
def test_escaped_text_reads_back_as_written(text: str) -> None:
    assert plain_text(html.escape(text)) == normalized(text)


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="<>&"), max_size=20), max_size=8))
def test_tags_are_dropped_and_blocks_become_lines(words: list[str]) -> None:
    body = "".join(f"<p><b>{word}</b><br/></p>" for word in words)
    assert plain_text(body) == "\n".join(w for w in (normalized(w) for w in words) if w)


def test_entities_and_scripts() -> None:
    assert plain_text("5 &lt; 6 &amp;&nbsp;<at id='0'>Bob</at><script>x()</script><style>p{}</style>") == "5 < 6 & Bob"
    assert plain_text("<b>kept</b> as is", "text") == "<b>kept</b> as is"
    assert plain_text("<p>unclosed <i>tags") == "unclosed tags"


def test_emoji_keep_their_character() -> None:
    emoji = '<emoji id="1f600_grinningface" alt="😀" title="Grinning face"></emoji>'
    old = '<img alt="👍" itemtype="http://schema.skype.com/Emoji" src="https://example.test/like.png">'
    picture = '<img alt="a screenshot" src="https://example.test/shot.png">'
    assert plain_text(f"Great {emoji} {old}{picture}") == "Great 😀 👍"


def test_the_author_is_the_user_who_wrote_it() -> None:
    payload = {"from": {"user": {"id": "29:1abc", "displayName": "Bob  Builder", "aadObjectId": GUID}}}
    assert author_of(payload) == Person(GUID.lower(), "Bob Builder")


def test_a_bot_or_a_broken_sender_is_no_author() -> None:
    assert author_of({"from": {"application": {"id": "28:bot", "displayName": "Build Bot"}}}) is None
    assert author_of({"from": {"user": "someone"}}) is None
    assert author_of({"from": {"user": {"id": "29:" + "x" * 80, "displayName": "No Entra id"}}}) is None
    assert author_of({}) is None
