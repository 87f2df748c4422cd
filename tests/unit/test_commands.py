"""The command grammar: every command and alias, the one-line forms, and what malformed text gives."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import commands, grammar
from bot.commands import BY_NAME, BY_WORD, explain, parse
from bot.grammar import MAX_COMMAND_TEXT, Command, UsageError

ALIASES = {word: spec.name for word, spec in BY_WORD.items() if word != spec.name}


def command(text: str) -> Command:
    return parse(text)


# --- command words ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_command_word_parses_to_itself(name: str) -> None:
    assert parse(f"{name} 12").name == name
    assert parse(name.upper()).name == name


@pytest.mark.parametrize(("alias", "name"), sorted(ALIASES.items()))
def test_every_alias_parses_to_its_command(alias: str, name: str) -> None:
    assert parse(alias).name == name


def test_rest_and_words_are_the_trimmed_text_after_the_command() -> None:
    assert parse("  approve   #12  ") == Command("approve", "#12", ("#12",))
    assert parse("reject 12  not  specific") == Command("reject", "12  not  specific", ("12", "not", "specific"))


def test_empty_line_is_help() -> None:
    assert parse("") == Command("help")
    assert parse("   ") == Command("help")


def test_leading_slash_and_repeated_moment_word_are_ignored() -> None:
    assert parse("/story x").name == "story"
    assert parse("moment story x") == Command("story", "x", ("x",))
    assert parse("/moment queue").name == "queue"


def test_bare_moment_word_is_not_a_command() -> None:
    with pytest.raises(UsageError) as raised:
        parse("moment")
    assert "help" in explain(raised.value)


def test_unknown_command_names_the_word_and_points_to_help() -> None:
    with pytest.raises(UsageError) as raised:
        parse("dance now")
    assert "'dance'" in explain(raised.value)
    assert "help" in explain(raised.value)


def test_overlong_command_is_refused() -> None:
    with pytest.raises(UsageError, match="too long"):
        parse("story " + "x" * MAX_COMMAND_TEXT)


def test_command_word_may_be_followed_by_a_line_break() -> None:
    assert parse("story\nThe customer called twice | lesson: call back").name == "story"


@pytest.mark.parametrize(
    ("line", "form"), [("story ", "story"), ("/shoutout @bob ", "shoutout"), ("Kudos @bob ", "shoutout")]
)
def test_a_story_or_shoutout_too_long_for_a_command_points_to_its_form(line: str, form: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(line + "x" * MAX_COMMAND_TEXT)
    assert f"Type `{form}` alone to open its form" in explain(raised.value)


@pytest.mark.parametrize("line", ["queue ", "nonsense ", "x" * 200])
def test_another_line_too_long_for_a_command_points_to_help(line: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(line + "x" * MAX_COMMAND_TEXT)
    assert "too long" in explain(raised.value) and "form" not in explain(raised.value)


# --- help -------------------------------------------------------------------------------------


def test_help_topic_shows_that_commands_usage_also_by_alias() -> None:
    assert commands.help_text("kudos").startswith(BY_NAME["shoutout"].usage)
    assert commands.help_text("REVIEW").startswith(BY_NAME["review"].usage)


def test_general_help_lists_every_command() -> None:
    text = commands.help_text()
    assert all(spec.usage in text for spec in BY_NAME.values())


@pytest.mark.parametrize("platform", ["slack", "teams", "console"])
def test_help_on_a_platform_lists_the_commands_it_has(platform: str) -> None:
    text = commands.help_text(platform=platform)
    for spec in BY_NAME.values():
        assert (spec.usage in text) == (not spec.only_on or platform in spec.only_on)
    assert ("pool [" in text) == (platform != "slack")
    assert ("canvas [" in text) == (platform != "teams")


@pytest.mark.parametrize(("topic", "platform"), [("canvas", "teams"), ("pool", "slack")])
def test_help_on_a_command_of_another_platform_says_it_does_nothing_here(topic: str, platform: str) -> None:
    text = commands.help_text(topic, platform=platform)
    assert text.startswith(BY_NAME[topic].usage)
    assert text.endswith(f"It does nothing in {'Microsoft Teams' if platform == 'teams' else 'Slack'}.")
    assert "does nothing" not in commands.help_text(topic, platform="console")


@pytest.mark.parametrize(
    ("topic", "guess"),
    [("nonsense", None), ("stroy", "story"), ("SHOUTOT", "shoutout"), ("qeue", "queue"), ("canvs", "canvas")],
)
def test_help_on_an_unknown_topic_says_so_and_lists_everything(topic: str, guess: str | None) -> None:
    text = commands.help_text(topic, platform="slack")
    first = text.splitlines()[0]
    assert first.startswith(f"There is no command `{topic}`.")
    assert (f"`help {guess}`" in first) if guess else ("Did you mean" not in first)
    assert commands.help_text(platform="slack") in text


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["approve 12", "approve #12", "approve   #12 "])
def test_number_reads_plain_and_hash_forms(text: str) -> None:
    assert grammar.number(parse(text)) == 12


def test_missing_required_number_asks_which_one() -> None:
    with pytest.raises(UsageError) as raised:
        grammar.number(parse("approve"))
    assert "Which one?" in explain(raised.value)
    assert f"Usage: {BY_NAME['approve'].usage}" in explain(raised.value)


def test_optional_number_may_be_left_out() -> None:
    assert grammar.number(parse("swap"), required=False) is None
    assert grammar.number(parse("swap #3"), required=False) == 3


@pytest.mark.parametrize("text", ["approve twelve", "approve 12 13", "approve 1234567890", "approve -1", "approve #"])
def test_anything_but_one_number_is_refused(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        grammar.number(parse(text))
    assert "Usage: approve" in explain(raised.value)


def test_number_and_text_for_reject_and_skipdate() -> None:
    assert grammar.number_and_text(parse("reject #4 please add the lesson")) == (4, "please add the lesson")
    assert grammar.number_and_text(parse("reject 4")) == (4, "")
    assert grammar.number_and_text(parse("skipdate 2 2026-12-24")) == (2, "2026-12-24")


def test_number_and_text_keeps_the_whole_text_after_a_line_break() -> None:
    assert grammar.number_and_text(parse("reject 12\nnot specific enough")) == (12, "not specific enough")


# --- request -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("request", 0),
        ("request in 15m", 15),
        ("request in 15", 15),
        ("request in 15 min", 15),
        ("request IN 5 MINUTES", 5),
        ("request in 0m", 0),
        ("request in 1440m", 1440),
        ("request in 2h", 120),
        ("request in 1h 30m", 90),
        ("request in 1h30", 90),
        ("request IN 24 HOURS", 1440),
        ("request in 1d", 1440),
        ("request in 1 day", 1440),
    ],
)
def test_request_offset(text: str, minutes: int) -> None:
    assert grammar.request_offset_minutes(parse(text)) == minutes


@pytest.mark.parametrize(
    "text",
    [
        "request 15m",
        "request in 1441m",
        "request in -5m",
        "request in 25h",
        "request now",
        "request in 23h 61m",
        "request in",
    ],
)
def test_request_offset_outside_the_grammar_is_refused(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        grammar.request_offset_minutes(parse(text))
    assert "Usage: request" in explain(raised.value)


@pytest.mark.parametrize("text", ["request in 25h", "request in 2d", "request in 2 days", "request in 1 day 1h"])
def test_a_request_more_than_a_day_ahead_is_told_so_in_any_unit(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        grammar.request_offset_minutes(parse(text))
    assert raised.value.problem.startswith("That is more than a day ahead")


# --- quick stories ------------------------------------------------------------------------------


def test_story_with_every_label() -> None:
    args = grammar.quick_story(
        parse(
            "story The parcel was lost twice | did: rang the depot | reaction: relieved lesson: own it "
            "tags: Bad news delivered well, listening nps: Promoter"
        )
    )
    assert args == grammar.StoryArgs(
        situation="The parcel was lost twice",
        action="rang the depot",
        reaction="relieved",
        lesson="own it",
        tags=("Bad news delivered well", "listening"),
        nps="Promoter",
        anonymous=False,
    )


def test_story_labels_are_case_insensitive_and_action_means_did() -> None:
    args = grammar.quick_story(parse("story It broke. ACTION: fixed it. Lesson : test first"))
    assert (args.situation, args.action, args.lesson) == ("It broke.", "fixed it.", "test first")


def test_story_repeated_label_collects_both_parts() -> None:
    args = grammar.quick_story(parse("story It broke lesson: one lesson: two"))
    assert args.lesson == "one two"


def test_label_words_inside_other_words_are_not_labels() -> None:
    args = grammar.quick_story(parse("story the transaction: failed lesson: check"))
    assert args.situation == "the transaction: failed"
    assert args.action == ""


@pytest.mark.parametrize(
    "situation",
    [
        "The customer asked what we did: nothing had happened for a week.",
        "Her first reaction: anger, then relief when we called.",
        "He asked which action: refund or replacement, and waited.",
        "The caller read out her note, which said 'what did: the courier' and more.",
    ],
)
def test_a_label_word_inside_a_sentence_stays_prose(situation: str) -> None:
    args = grammar.quick_story(parse(f"story {situation} lesson: call before they chase us"))
    assert args.situation == situation
    assert (args.action, args.reaction, args.lesson) == ("", "", "call before they chase us")


@pytest.mark.parametrize("quote", ['"add tags: urgent, vip"', "“add tags: urgent, vip”", "«nps: detractor»"])
def test_labels_inside_a_quotation_are_what_someone_said(quote: str) -> None:
    args = grammar.quick_story(parse(f"story The note said {quote} on top. lesson: read the whole note"))
    assert quote in args.situation
    assert args.tags == () and args.nps is None


@pytest.mark.parametrize("boundary", ["| ", "\n", ". ", "! ", "? ", "; "])
def test_did_and_reaction_start_a_part_after_a_boundary(boundary: str) -> None:
    text = f"story The parcel was lost{boundary}did: rang the depot{boundary}reaction: relieved lesson: own it"
    args = grammar.quick_story(parse(text))
    assert args.situation.rstrip(".!?;") == "The parcel was lost"
    assert args.action.rstrip(".!?;") == "rang the depot"
    assert args.reaction == "relieved"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("story what happened", ("what happened", "", "", "")),
        ("story what happened | the lesson", ("what happened", "", "", "the lesson")),
        ("story what | did | the lesson", ("what", "did", "", "the lesson")),
        ("story what | did | reaction | lesson", ("what", "did", "reaction", "lesson")),
    ],
)
def test_story_with_one_to_four_pipe_separated_parts(text: str, expected: tuple[str, str, str, str]) -> None:
    args = grammar.quick_story(parse(text))
    assert (args.situation, args.action, args.reaction, args.lesson) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("story A | I refunded | relieved | lesson: call back fast", ("A", "I refunded", "relieved", "call back fast")),
        ("story A | I refunded | lesson: call back", ("A", "I refunded", "", "call back")),
        ("story A | lesson: call back", ("A", "", "", "call back")),
        (
            "story The parcel was lost | rang the depot | relieved | own the problem tags: shipping",
            ("The parcel was lost", "rang the depot", "relieved", "own the problem"),
        ),
        ("story lost | own it nps: 9 tags: shipping, refunds", ("lost", "", "", "own it")),
        (
            "story lost | relieved | did: rang the depot lesson: own it",
            ("lost", "rang the depot", "relieved", "own it"),
        ),
        ("story lost | reaction: relieved lesson: own it", ("lost", "", "relieved", "own it")),
        ("story lost. did: rang. lesson: own it", ("lost.", "rang.", "", "own it")),
        (
            "story The parcel was lost | I refunded | lesson: own it | relieved",
            ("The parcel was lost", "I refunded", "relieved", "own it"),
        ),
        (
            "story Lost parcel | reaction: happy | rang the depot | own it",
            ("Lost parcel", "rang the depot", "happy", "own it"),
        ),
        ("story lesson: own it | lost | rang", ("lost", "rang", "", "own it")),
        ("story lost | | rang | own it", ("lost", "rang", "", "own it")),
    ],
)
def test_story_parts_by_pipe_fill_what_no_label_gives(text: str, expected: tuple[str, str, str, str]) -> None:
    args = grammar.quick_story(parse(text))
    assert (args.situation, args.action, args.reaction, args.lesson) == expected
    assert all("|" not in part for part in expected)


def test_story_tags_after_four_pipe_parts_are_tags() -> None:
    args = grammar.quick_story(parse("story lost | rang | relieved | own it tags: shipping, refunds nps: 9"))
    assert args.tags == ("shipping", "refunds") and args.nps == "9" and args.lesson == "own it"


@pytest.mark.parametrize(
    "text",
    [
        "story a | b | c | d lesson: e",
        "story a | b | c | did: d lesson: e",
        "story a | b | c | d | e tags: x",
        "story a | lesson: e | b | c | d",
    ],
)
def test_story_with_more_pipe_parts_than_the_labels_leave_is_refused(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        grammar.quick_story(parse(text))
    assert "Usage: story" in explain(raised.value)


def test_story_with_five_parts_is_refused_with_usage() -> None:
    with pytest.raises(UsageError) as raised:
        grammar.quick_story(parse("story a | b | c | d | e"))
    assert "at most four parts" in explain(raised.value)
    assert "Usage: story" in explain(raised.value)


@pytest.mark.parametrize("word", ["anon", "anonymous", "ANON"])
def test_story_can_be_anonymous(word: str) -> None:
    args = grammar.quick_story(parse(f"story {word} what happened | lesson"))
    assert args.anonymous is True
    assert args.situation == "what happened"


def test_anon_later_in_the_text_does_not_make_a_story_anonymous() -> None:
    assert grammar.quick_story(parse("story the anon caller | lesson")).anonymous is False


# --- shout-outs ---------------------------------------------------------------------------------


def test_shoutout_to_one_person() -> None:
    args = grammar.shoutout(parse("shoutout @bob stayed on the call until the refund went through"))
    assert args == grammar.ShoutoutArgs(("@bob",), "stayed on the call until the refund went through", False)


def test_shoutout_to_several_people_drops_punctuation_and_duplicates() -> None:
    args = grammar.shoutout(parse("kudos @bob, @carol; @bob: calmed the customer down"))
    assert args.recipients == ("@bob", "@carol")
    assert args.reason == "calmed the customer down"


@pytest.mark.parametrize("word", ["private", "privately", "DM"])
def test_private_shoutout(word: str) -> None:
    args = grammar.shoutout(parse(f"shoutout {word} @bob kept a promise"))
    assert args.private is True
    assert args.recipients == ("@bob",)


def test_the_word_private_after_the_mention_is_part_of_the_reason() -> None:
    args = grammar.shoutout(parse("shoutout @bob private matters handled well"))
    assert args.private is False
    assert args.reason == "private matters handled well"


@pytest.mark.parametrize("text", ["shoutout bob did well", "shoutout private", "shoutout thanks @bob"])
def test_shoutout_without_a_leading_mention_asks_who(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        grammar.shoutout(parse(text))
    assert "Who is it for?" in explain(raised.value)
    assert "Usage: shoutout" in explain(raised.value)


# --- exercises ----------------------------------------------------------------------------------


def test_exercise_with_title_prompt_steps_and_minutes() -> None:
    args = grammar.exercise(parse("exercise Bad news | Deliver a delay | pair up; swap roles | 12"))
    assert args == grammar.ExerciseArgs("Bad news", "Deliver a delay", ("pair up", "swap roles"), "12")


def test_exercise_with_title_and_prompt_only() -> None:
    assert grammar.exercise(parse("exercise Bad news | Deliver a delay")) == grammar.ExerciseArgs(
        "Bad news", "Deliver a delay", (), ""
    )


@pytest.mark.parametrize("text", ["exercise just a title", "exercise a | b | c | d | e"])
def test_exercise_needs_two_to_four_parts(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        grammar.exercise(parse(text))
    assert "Usage: exercise" in explain(raised.value)


# --- properties ---------------------------------------------------------------------------------

SUB_PARSERS: dict[str, Callable[[Command], object]] = {
    "number": grammar.number,
    "optional number": lambda c: grammar.number(c, required=False),
    "number_and_text": grammar.number_and_text,
    "shoutout": grammar.shoutout,
    "quick_story": grammar.quick_story,
    "exercise": grammar.exercise,
    "request_offset_minutes": grammar.request_offset_minutes,
}

command_like = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda head, tail: f"{head} {tail}",
        st.sampled_from(sorted([*BY_WORD, "moment", "/moment"])),
        st.text(alphabet=st.sampled_from(list("@#|:;, anonlesdidtgsp0123456789\n\t-")) | st.characters(), max_size=80),
    ),
)


def _assert_friendly(error: UsageError) -> None:
    assert "Usage:" in explain(error) or "help" in explain(error)


@settings(max_examples=400, deadline=None)
@given(command_like)
@example("moment " * 560 + "help")
@example("reject ٣ reason")
@example("story anon")
def test_parsing_arbitrary_text_raises_nothing_but_a_friendly_usage_error(text: str) -> None:
    try:
        parsed = parse(text)
    except UsageError as error:
        _assert_friendly(error)
        return
    for name in {parsed.name, *BY_NAME}:
        candidate = Command(name, parsed.rest, parsed.words)
        for sub_parser in SUB_PARSERS.values():
            try:
                sub_parser(candidate)
            except UsageError as error:
                _assert_friendly(error)
