"""Capture where it happens: a chat message becomes the story or shout-out form, filled in and tidied."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.runtime import Runtime
from bot.domain.validation import MAX_REASON, MAX_TEXT, tidy
from bot.events import CAPTURE_MESSAGE, MESSAGE_AUTHOR, Incoming, Person
from bot.replies import Form
from tests.integration.core import ask, table_counts
from tests.support.events import pressed


def captured(text: str, author: str | None, actor: str = "alice") -> Incoming:
    incoming = pressed(CAPTURE_MESSAGE, text, actor=actor)
    people = {MESSAGE_AUTHOR: Person(author, "")} if author is not None else {}
    return replace(incoming, people=people)


def initial(form: Form, name: str) -> object:
    [found] = [f.initial for f in form.fields if f.name == name]
    return found


async def form_for(runtime: Runtime, text: str, author: str | None, actor: str = "alice") -> Form:
    [reply] = await ask(runtime, captured(text, author, actor))
    assert reply.form is not None, reply
    return reply.form


async def test_your_own_message_is_a_story_and_someone_elses_a_shoutout_for_them(runtime: Runtime) -> None:
    own = await form_for(runtime, "  The parcel went   to the wrong city  ", "alice")
    assert own.form_id == "story" and initial(own, "situation") == "The parcel went to the wrong city"
    assert own.submit_label == "Share" and own.context == ""  # a new story, not an edit
    theirs = await form_for(runtime, "Bob called the customer back", "bob")
    assert theirs.form_id == "shoutout"
    assert initial(theirs, "recipients") == ("@bob",) and initial(theirs, "reason") == "Bob called the customer back"
    nobody = await form_for(runtime, "An automated note", None)
    assert nobody.form_id == "story"


async def test_capturing_stores_nothing(runtime: Runtime) -> None:
    await form_for(runtime, "warm-up", None)
    before = await table_counts(runtime)
    await form_for(runtime, "Bob called the customer back", "bob")
    assert await table_counts(runtime) == before


async def test_mentions_are_written_as_names_and_only_whole_tokens(runtime: Runtime) -> None:
    incoming = captured("@U1 and @U12 helped @U1x", "alice")
    people = {**incoming.people, "@U1": Person("U1", "Bob"), "@U12": Person("U12", "Carol")}
    [reply] = await ask(runtime, replace(incoming, people=people))
    assert reply.form is not None and initial(reply.form, "situation") == "@Bob and @Carol helped @U1x"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=3000), someone_else=st.booleans())
async def test_any_text_is_tidied_and_kept_within_the_fields_limit(
    runtime: Runtime, text: str, someone_else: bool
) -> None:
    form = await form_for(runtime, text, "bob" if someone_else else "alice")
    field, limit = ("reason", MAX_REASON) if someone_else else ("situation", MAX_TEXT)
    value = initial(form, field)
    assert isinstance(value, str) and len(value) <= limit
    assert "\x00" not in value and value == value.strip()
    if len(tidy(text)) <= limit:
        assert value == tidy(text)
    else:
        assert value.endswith("…")
