"""``/moment`` with any text at all: control characters, right-to-left, emoji, 4,000+ characters, ``<!channel>``.

Every command is acknowledged with a 200 and answered once, privately, in words (never "something went
wrong"); nothing anyone typed reaches Slack as a mention or a link; a refused command writes nothing. A
command is too long when its text is over 4,000 characters once read (Slack's formatting undone, NULs
dropped): a longer text that reads shorter is a command like any other.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.runtime import Runtime
from adapters.slack.text import read_command
from bot.commands import MAX_COMMAND_TEXT
from bot.domain.validation import scrub
from tests.integration.hostile.strategies import INJECTIONS, ODD_PIECES, hostile_text, repeated_to, unknown_command
from tests.integration.hostile.support import assert_slack_said_nothing_bad, changed, table_counts
from tests.integration.slack.driver import SlackDriver, all_text

FUZZ = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

NUMBERED = ("approve", "reject", "withdraw", "hide", "pause", "resume", "unschedule", "remind", "skipdate")
AGENDA = ("swap", "skip", "done", "helpful")
SECTION_LIMIT = 3000


async def ask(slack: SlackDriver, line: str, *, elsewhere: bool = False) -> str:
    """Run ``/moment line`` after a reset; returns what its one private answer said.

    With ``elsewhere``, answering by opening a modal (``story`` alone), sharing a file (``export``) or
    posting in the channel (``request``) is fine too.
    """
    slack.fake.reset()
    name = await slack.command(line)
    assert_slack_said_nothing_bad(slack.fake)
    for post in slack.fake.calls_to("chat.postMessage") + slack.fake.calls_to("chat.update"):
        assert str(post.params.get("link_names", "")).lower() in ("", "0", "false")
    answers = slack.responses(name)
    if elsewhere and not answers:
        methods = ("views.open", "files.completeUploadExternal", "chat.postMessage")
        assert any(slack.fake.calls_to(method) for method in methods)
        return ""
    assert len(answers) == 1, answers
    [answer] = answers
    assert answer["response_type"] == "ephemeral" and answer.get("replace_original", False) is False
    assert len(answer.get("blocks") or []) <= 50
    for block in answer.get("blocks") or []:
        assert len((block.get("text") or {}).get("text", "")) <= SECTION_LIMIT
    return all_text(answer)


async def known(slack: SlackDriver, runtime: Runtime) -> None:
    """The workspace, channel and person exist (a first contact writes them; that is not what is tested)."""
    if not (await table_counts(runtime.engine))["members"]:
        await slack.command("help")


@FUZZ
@given(line=hostile_text.filter(unknown_command))
async def test_text_that_is_no_command_is_answered_and_writes_nothing(
    slack: SlackDriver, runtime: Runtime, line: str
) -> None:
    before = await table_counts(runtime.engine)
    said = await ask(slack, line)
    assert "I don't know the command" in said or "too long" in said or "didn't understand" in said, said
    assert slack.fake.calls_to("chat.postMessage") == []
    assert changed(before, await table_counts(runtime.engine)) == {}


@FUZZ
@given(word=st.sampled_from(NUMBERED + AGENDA), rest=hostile_text)
async def test_numbered_commands_with_hostile_arguments_refer_to_nothing_and_write_nothing(
    slack: SlackDriver, runtime: Runtime, word: str, rest: str
) -> None:
    """Nothing exists yet, so whatever follows ``approve``, ``withdraw``, ``swap`` … names nothing."""
    await known(slack, runtime)
    before = await table_counts(runtime.engine)
    said = await ask(slack, f"{word} {rest}")
    assert said.strip()
    assert slack.fake.calls_to("chat.postMessage") == [] and slack.fake.calls_to("chat.update") == []
    assert changed(before, await table_counts(runtime.engine)) == {}


@FUZZ
@given(
    line=st.one_of(
        st.builds("story {} lesson: {}".format, hostile_text, hostile_text),
        st.builds("story {} | {} | {}".format, hostile_text, hostile_text, hostile_text),
        st.builds("story anon {}".format, hostile_text),
        st.builds("shoutout <@U2|bob> {}".format, hostile_text),
        st.builds("shoutout private <@U2> <@U999> {}".format, hostile_text),
        st.builds("exercise {} | {} | {}".format, hostile_text, hostile_text, hostile_text),
        st.builds("schedule {}".format, hostile_text),
        st.builds("timezone {}".format, hostile_text),
        st.builds("managers add {}".format, hostile_text),
        st.builds("{} {}".format, st.sampled_from(["stats", "export", "review", "request", "mine"]), hostile_text),
    )
)
async def test_hostile_text_in_commands_that_write_is_all_or_nothing(
    slack: SlackDriver, runtime: Runtime, line: str
) -> None:
    await known(slack, runtime)
    before = await table_counts(runtime.engine)
    said = await ask(slack, line, elsewhere=True)
    after = await table_counts(runtime.engine)
    if after["moments"] != before["moments"]:
        # Saved: one item, with its number in the confirmation.
        assert after["moments"] == before["moments"] + 1, changed(before, after)
        assert re.search(r"#\d+", said), said
    else:
        assert after["recipients"] == before["recipients"], changed(before, after)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=repeated_to(MAX_COMMAND_TEXT + 1), word=st.sampled_from(["", "story ", "shoutout <@U2> ", "dance "]))
async def test_commands_over_four_thousand_characters_once_read_are_refused_and_write_nothing(
    slack: SlackDriver, runtime: Runtime, line: str, word: str
) -> None:
    await known(slack, runtime)
    before = await table_counts(runtime.engine)
    said = await ask(slack, word + line, elsewhere=True)  # all NULs: "story" alone opens the form
    after = await table_counts(runtime.engine)
    if len(scrub(read_command(word + line).text).strip()) > MAX_COMMAND_TEXT:  # as long once mentions are read
        assert "too long" in said
        assert changed(before, after) == {}
    elif after != before:
        # Shorter once read (control characters and empty links dropped): a command like any other, which
        # saves one item and says its number, or nothing.
        assert after["moments"] == before["moments"] + 1, changed(before, after)
        assert re.search(r"#\d+", said), said


async def test_a_story_made_of_every_hostile_piece_is_saved_once_and_shown_inert(
    slack: SlackDriver, runtime: Runtime
) -> None:
    labels = ("lesson:", "|", "did:", "tags:", "nps: detractor")
    everything = " ".join(INJECTIONS + tuple(p for p in ODD_PIECES if p not in labels))
    await slack.command(f"story {everything} lesson: {everything}")
    slack.fake.reset()
    await slack.command("request")
    [card] = slack.fake.posted("C1")
    assert_slack_said_nothing_bad(slack.fake)
    shown = all_text(card["blocks"])
    assert "&lt;!channel&gt;" in shown and "😡" in shown and "العميل غاضب" in shown
    assert "\x00" not in shown and "\x1b" not in shown
    mine = await ask(slack, "mine")  # typed mentions arrive as plain words; a colleague's reads by name
    assert "@Mallory" in mine and "@U999" not in mine and "@channel" in mine


async def test_command_forms_with_missing_or_odd_fields_are_acknowledged_and_write_nothing(
    slack: SlackDriver, runtime: Runtime
) -> None:
    """Slack always names the workspace and the person: a command that does not is acknowledged, not run
    (``help`` would otherwise make a nameless workspace or member its first contact)."""
    complete = {"team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": "/moment", "text": "dance"}
    before = await table_counts(runtime.engine)
    for odd in (
        {"team_id": None, "text": "help"},
        {"user_id": None, "text": "help"},
        {"user_id": "", "team_id": "", "text": "help"},
        {"team_id": None, "user_id": None, "text": None},
        {"channel_id": None},
        {"command": "/other"},
        {"command": None},
        {"user_id": "U" + "9" * 300},
        {"team_id": "T" + "9" * 300},
        {"channel_id": "C" + "9" * 300},
        {"trigger_id": "t" * 5000},
        {"response_url": "not a url"},
    ):
        form = {key: value for key, value in (complete | odd).items() if value is not None}
        status, _ = await slack.send(urlencode(form), "application/x-www-form-urlencoded")
        assert status < 500, odd
    await slack.settle()
    assert_slack_said_nothing_bad(slack.fake)
    assert changed(before, await table_counts(runtime.engine)) == {}


async def test_a_command_with_the_word_payload_in_it_is_run(slack: SlackDriver, runtime: Runtime) -> None:
    """Bolt reads any form containing "payload" as an interaction and drops it; the command must still run."""
    said = await ask(slack, "story The payload of the delivery was lost | Re-sent it | Check payload=1 twice")
    assert "is in the pool" in said
    assert "The payload of the delivery" in await ask(slack, "mine")
