"""Cards render from plain data: the agenda card's status and buttons, moment sections, lines and review cards."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.cards
from bot.cards import (
    AGENDA_STATE,
    POOL_CHOOSE_ACTION,
    POOL_OWN_ACTION,
    AgendaView,
    MeetingPool,
    MomentView,
    agenda_card,
    featured_note,
    moment_line,
    moment_sections,
    names,
    review_card,
    story_readback,
)
from bot.domain.lifecycle import OPEN, AgendaState

STARTS = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # 10:00 in Berlin (summer time began on the 29th)

STORY = MomentView(
    id=7,
    kind="story",
    state="approved",
    situation="The customer's refund was stuck.",
    action="I called the bank with them.",
    lesson="Stay on the line until it is solved.",
    tags=("ownership",),
    author="Bob",
)
SHOUTOUT = MomentView(
    id=8,
    kind="shoutout",
    state="approved",
    situation="Carol stayed late to fix the outage.",
    author="Alice",
    recipients=("Carol", "Dan"),
)
EXERCISE = MomentView(
    id=9,
    kind="exercise",
    state="approved",
    title="Say no kindly",
    situation="Practise turning down a request.",
    steps=("Pair up.", "Swap roles."),
    minutes=8,
    from_library=True,
)


def _agenda(
    state: AgendaState, moment: MomentView | None = STORY, *, presenter: str | None = None, helpful: int = 0
) -> AgendaView:
    return AgendaView(
        id=42,
        state=state,
        starts_at=STARTS,
        zone="Europe/Berlin",
        reason="never featured",
        moment=moment,
        presenter=presenter,
        helpful=helpful,
    )


def test_an_open_item_offers_every_button_for_its_own_number() -> None:
    for state in OPEN:
        card = agenda_card(_agenda(state))
        assert [b.action for b in card.buttons] == ["agenda.swap", "agenda.skip", "agenda.done", "agenda.helpful"]
        assert {b.value for b in card.buttons} == {"42"}


def test_a_presented_item_can_be_found_helpful_or_taken_back() -> None:
    card = agenda_card(_agenda(AgendaState.PRESENTED, helpful=3))
    assert [(b.label, b.action) for b in card.buttons] == [
        ("👍 Helpful (3)", "agenda.helpful"),
        ("Undo", "agenda.undo"),
    ]


def test_a_skipped_item_can_only_be_taken_back() -> None:
    card = agenda_card(_agenda(AgendaState.SKIPPED))
    assert [(b.label, b.action) for b in card.buttons] == [("Undo", "agenda.undo")]


@pytest.mark.parametrize("state", [AgendaState.MISSED, AgendaState.FAILED, AgendaState.CANCELLED])
def test_an_item_that_ended_unshown_has_no_buttons(state: AgendaState) -> None:
    card = agenda_card(_agenda(state))
    assert card.buttons == ()
    assert ("Status", AGENDA_STATE[state]) in [(f.label, f.value) for f in card.facts]


@pytest.mark.parametrize("state", ["withdrawn", "hidden", "rejected", "pending"])
def test_an_agenda_card_never_shows_a_moment_that_is_no_longer_shown(state: str) -> None:
    card = agenda_card(_agenda(AgendaState.PRESENTED, replace(STORY, state=state)))
    shown = " ".join(f"{s.heading} {s.text}" for s in card.sections)
    assert STORY.situation not in shown and STORY.lesson not in shown
    assert "shown" in shown


def test_the_agenda_card_speaks_the_channels_time_and_says_why() -> None:
    card = agenda_card(_agenda(AgendaState.POSTED, presenter="Bob"))
    assert card.title == "Customer Moment · Tue 31 Mar 10:00 CEST"
    assert card.note == "Why this one: never featured"
    assert [(f.label, f.value) for f in card.facts] == [
        ("Kind", "Customer story"),
        ("Presenter", "Bob"),
        ("Status", "On the agenda"),
    ]


def test_an_item_without_a_moment_says_so() -> None:
    card = agenda_card(_agenda(AgendaState.MISSED, moment=None))
    assert [s.text for s in card.sections] == ["No moment at this meeting."]
    assert card.buttons == ()


def test_every_agenda_state_has_a_label() -> None:
    assert set(AGENDA_STATE) == set(AgendaState)


def test_a_story_shows_its_parts_and_who_shared_it_unless_anonymous() -> None:
    sections = moment_sections(STORY)
    assert [s.heading for s in sections] == ["What happened", "What we did", "The lesson", ""]
    assert sections[-1].text.startswith("Shared by Bob · ")
    hidden = moment_sections(replace(STORY, anonymous=True))
    assert hidden[-1].text.startswith("Shared anonymously")
    assert "Bob" not in " ".join(s.text + s.heading for s in hidden)


def test_a_shoutout_names_giver_and_recipients() -> None:
    (section,) = moment_sections(SHOUTOUT)
    assert section.heading == "Alice recognises Carol and Dan"


def test_an_exercise_numbers_its_steps_and_says_it_is_from_the_library() -> None:
    sections = moment_sections(EXERCISE)
    assert sections[0].heading == "Say no kindly"
    assert sections[1].text == "1. Pair up.\n2. Swap roles."
    assert sections[2].text == "About 8 minutes · from the library"


def test_a_review_card_hides_an_anonymous_author() -> None:
    card = review_card(replace(STORY, anonymous=True))
    assert card.title == "#7 · Customer story waiting for review"
    assert card.sections[-1].text.startswith("Shared anonymously")
    assert card.facts == ()
    assert [b.action for b in card.buttons] == ["review.approve", "review.reject"]


@pytest.mark.parametrize("moment", [STORY, SHOUTOUT, replace(STORY, anonymous=True), EXERCISE])
def test_a_review_card_names_who_shared_it_once(moment: MomentView) -> None:
    card = review_card(moment)
    said = [section.text for section in card.sections] + [section.heading for section in card.sections]
    said += [f"{fact.label}: {fact.value}" for fact in card.facts]
    if moment.author and not moment.anonymous:
        assert sum(text.count(moment.author) for text in said if text) == 1
    assert sum("From" in f.label for f in card.facts) == (moment.kind == "exercise")


def test_a_story_is_read_back_with_only_the_parts_it_has_and_an_edit_button() -> None:
    card = story_readback(replace(STORY, nps="detractor", anonymous=True))
    assert card.title == "Story #7, as I read it"
    assert [f.label for f in card.facts] == ["What happened", "What you did", "Lesson", "Tags", "NPS", "Shown as"]
    assert ("NPS", "Detractor") in [(f.label, f.value) for f in card.facts]
    assert [(b.action, b.value) for b in card.buttons] == [("moment.edit", "7")]


@pytest.mark.parametrize(
    ("people", "text"),
    [((), ""), (("Ann",), "Ann"), (("Ann", "Ben"), "Ann and Ben"), (("Ann", "Ben", "Cy"), "Ann, Ben and Cy")],
)
def test_names_read_as_a_sentence(people: tuple[str, ...], text: str) -> None:
    assert names(people) == text


@given(st.text(min_size=0, max_size=300))
def test_a_moment_line_stays_short_whatever_the_text(text: str) -> None:
    line = moment_line(MomentView(id=1, kind="story", state="pending", situation=text))
    assert line.startswith("#1 · Customer story · waiting for review · ")
    summary = line.removeprefix("#1 · Customer story · waiting for review · ")
    assert len(summary) <= 80
    assert summary == text or summary.endswith("…")


def test_cards_need_no_database() -> None:
    tree = ast.parse(Path(bot.cards.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {name for name in imported if name.startswith(("bot.storage", "bot.services", "sqlalchemy"))}


@pytest.mark.parametrize(("nps", "shown"), [("promoter", "Promoter"), ("detractor", "Detractor"), (None, None)])
def test_the_agenda_card_shows_a_storys_nps_only_when_it_has_one(nps: str | None, shown: str | None) -> None:
    card = agenda_card(_agenda(AgendaState.POSTED, moment=replace(STORY, nps=nps)))
    assert {f.label: f.value for f in card.facts}.get("Customer NPS") == shown


def test_a_moment_line_carries_its_notes_after_the_text() -> None:
    assert moment_line(STORY, notes=("anonymous", featured_note(STARTS, "Europe/Berlin", presented=True))) == (
        "#7 · Customer story · approved · The customer's refund was stuck. · anonymous"
        " · featured on Tue 31 Mar 10:00 CEST"
    )
    assert featured_note(STARTS, "UTC", presented=False) == "on the agenda for Tue 31 Mar 08:00 UTC"


def test_a_meeting_chats_card_says_where_its_moments_come_from_and_offers_a_teams_pool() -> None:
    card = agenda_card(replace(_agenda(AgendaState.POSTED), meeting_pool=MeetingPool()))
    assert ("Moments from", "this chat's own pool") in [(f.label, f.value) for f in card.facts]
    assert [(b.label, b.action, b.value) for b in card.buttons][-1] == ("Use a team's pool", POOL_CHOOSE_ACTION, "42")
    assert [b.action for b in card.buttons][:4] == ["agenda.swap", "agenda.skip", "agenda.done", "agenda.helpful"]


def test_a_linked_meeting_chats_card_names_the_pool_and_offers_its_own_again() -> None:
    linked = MeetingPool(linked_to="Support Team › Support")
    card = agenda_card(replace(_agenda(AgendaState.PRESENTED), meeting_pool=linked))
    assert ("Moments from", "the pool of Support Team › Support") in [(f.label, f.value) for f in card.facts]
    assert [(b.label, b.action) for b in card.buttons][-1] == ("Use this chat's own pool", POOL_OWN_ACTION)
    assert POOL_CHOOSE_ACTION not in [b.action for b in card.buttons]


def test_a_card_outside_a_meeting_chat_has_no_pool_controls() -> None:
    card = agenda_card(_agenda(AgendaState.POSTED))
    assert not {POOL_CHOOSE_ACTION, POOL_OWN_ACTION} & {b.action for b in card.buttons}
    assert "Moments from" not in [f.label for f in card.facts]


@pytest.mark.parametrize(
    ("count", "kind", "said"),
    [
        (1, "story", "1 customer story"),
        (2, "story", "2 customer stories"),
        (1, "shoutout", "1 shout-out"),
        (3, "shoutout", "3 shout-outs"),
        (0, "exercise", "0 exercises"),
        (2, "exercise", "2 exercises"),
    ],
)
def test_stats_count_each_kind_in_words_that_agree_with_the_number(count: int, kind: str, said: str) -> None:
    from bot.services.stats import _counted

    assert _counted(count, kind) == said
