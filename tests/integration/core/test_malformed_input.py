"""Unknown commands and malformed input get a friendly answer and change nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.runtime import Runtime
from bot.commands import BY_NAME, BY_WORD
from bot.core import BROKEN, UNAVAILABLE
from bot.events import Incoming
from tests.integration.core import ask, table_counts, text
from tests.support.events import place, pressed, said, submitted


async def test_unknown_command_points_to_help_and_writes_nothing(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    before = await table_counts(runtime)
    assert (
        text(await ask(runtime, said("dance now")))
        == "I don't know the command 'dance'. Try `help` to see what I can do."
    )
    assert await table_counts(runtime) == before


async def test_first_event_that_fails_leaves_no_workspace_behind(runtime: Runtime) -> None:
    before = await table_counts(runtime)
    await ask(runtime, said("approve twelve"))
    assert await table_counts(runtime) == before


async def test_help_for_one_command(runtime: Runtime) -> None:
    assert text(await ask(runtime, said("help kudos"))) == f"{BY_NAME['shoutout'].usage}\n{BY_NAME['shoutout'].help}"
    assert text(await ask(runtime, said("?"))).startswith("Customer Moment — a customer story")


MALFORMED: list[tuple[Incoming, str]] = [
    (said("approve"), "Which one? Give its number.\nUsage: approve <#>"),
    (said("approve twelve"), "'twelve' is not a number.\nUsage: approve <#>"),
    (said("swap 1 2"), "'1 2' is not a number.\nUsage: swap [agenda #]"),
    (said("story a | b | c | d | e"), "Usage: story"),
    (said("shoutout nobody in particular"), "Who is it for? Start with @name."),
    (said("request in 2 days"), "Usage: request [in <15m|2h|1h 30m>]"),
    (said("exercise no pipes at all"), "Usage: exercise"),
    (said("managers promote @bob"), "Usage: managers"),
    (said("skipdate 1 someday"), "I couldn't read the date 'someday'. Use YYYY-MM-DD"),
    (said("skipdate 1"), "I couldn't read the date ''."),
    (said("pause 99"), "There is no meeting #99 in this channel."),
    (said("remind 1 soon"), "I couldn't read the duration 'soon'."),
    (said("stats lots"), "Give the period in days"),
    (said("export pdf"), "Export as `csv` or `json`."),
    (said("review maybe"), "Say `review on` or `review off`."),
    (said("schedule whenever"), "I couldn't read 'whenever'."),
    (said("swap 99"), "There is no agenda item #99 in this channel."),
    (said("helpful"), "The next meeting, on Tue 24 Nov 10:00 CET, has no moment yet"),
    (said("x" * 5000), "That is too long for one command"),
    (pressed("agenda.swap", "abc"), "That button is no longer active."),
    (pressed("self.destruct", "1"), "That button is no longer active."),
    (submitted("nonsense", {}), "That form is no longer available. Please start again."),
    (submitted("reject", {"reason": "why not"}, context="abc"), "That form has expired; press Reject again."),
]


async def test_malformed_input_gets_a_friendly_answer_and_writes_nothing(
    runtime: Runtime, subtests: pytest.Subtests
) -> None:
    await ask(runtime, said("schedule weekly tue 10:00 Europe/Berlin"))  # meeting #1
    before = await table_counts(runtime)
    for incoming, answer in MALFORMED:
        with subtests.test(incoming.text[:40] or incoming.action or incoming.form_id):
            reply = text(await ask(runtime, incoming))
            assert answer in reply
            assert reply not in (BROKEN, UNAVAILABLE)
            assert await table_counts(runtime) == before


def _direct(text: str) -> Incoming:
    return Incoming(place=place(channel=None), actor=said("").actor, text=text)


async def test_channel_commands_in_a_direct_message_ask_for_the_channel(runtime: Runtime) -> None:
    for command in ("request", "queue", "stats", "export", "meetings", "review on", "exercise a | b"):
        assert text(await ask(runtime, _direct(command))) == (
            "Run this in your team's channel: each channel has its own stories, shout-outs, meetings and stats."
        )


async def test_a_mention_with_unprintable_characters_is_an_unknown_person(runtime: Runtime) -> None:
    await ask(runtime, said("help"))
    for token in ("@bo\x00b", "@bob\ud800"):
        for command in (f"managers add {token}", f"shoutout {token} stayed on the call until the refund went through"):
            assert text(await ask(runtime, said(command))).startswith("I don't know anyone called"), command


any_text = st.text(max_size=40)
command_text = st.one_of(
    any_text,
    st.builds(
        lambda word, rest: f"{word} {rest}",
        st.sampled_from(sorted(BY_WORD)),
        st.text(alphabet=st.sampled_from(list("@#|:;,. 0123456789abclnopstxyz-\n")), max_size=40) | any_text,
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(line=command_text)
async def test_any_command_text_gets_an_answer_and_never_an_error(runtime: Runtime, line: str) -> None:
    replies = await runtime.core.handle(said(line))
    assert replies
    assert all(reply.text not in (BROKEN, UNAVAILABLE) for reply in replies)
