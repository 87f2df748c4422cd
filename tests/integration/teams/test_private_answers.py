"""Answers for the asker alone never reach a Teams channel, group chat or meeting chat, over real HTTP.

Teams has no ephemeral messages: a person's own items (``mine``, an item's edit form), stats and review queues
asked for in a shared conversation go to the asker's 1:1 chat with the bot, and the conversation gets only a
note that names nothing of them. Public answers (the queue, a public shout-out) still go to the channel.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from adapters.teams.routing import PRIVATE_NOTE
from bot.storage.models import Moment
from tests.integration.teams.builders import ALICE, BOB, CAROL, CHANNEL, CHAT, JsonDict, message, submit
from tests.integration.teams.conftest import TeamsApp, setup_channel
from tests.integration.teams.reading import buttons, cards, content
from tests.support.fake_connector import Call

PRIVATE_REASON = "sorted out the Okonkwo Bakery order after the invoice mix-up"
PENDING = "story A regular customer's pram arrived broken | swapped it at the door | lesson: bring spares"
PRIVATE_WORDS = ("Okonkwo", "pram arrived broken", "Not recognised", "waiting for review", "Your moments")


async def send(teams: TeamsApp, activity: JsonDict) -> list[Call]:
    teams.connector.clear()
    response = await teams.post(activity)
    assert response.status == 200, await response.text()
    return [c for c in teams.connector.calls if c.method in ("POST", "PUT")]


async def say(teams: TeamsApp, text: str, **options: object) -> list[Call]:
    return await send(teams, message(text, teams.service_url, **options))  # type: ignore[arg-type]


def personal(person: JsonDict) -> str:
    return f"a:personal-{person['id']}"


def everything(calls: list[Call]) -> str:
    """All a message holds, card inputs' values included."""
    return "\n".join(json.dumps(c.body, ensure_ascii=False) for c in calls)


def shared(calls: list[Call], conversation: str) -> list[Call]:
    return [c for c in calls if c.conversation_id.split(";")[0] == conversation]


def to(calls: list[Call], person: JsonDict) -> list[Call]:
    return [c for c in calls if c.conversation_id == personal(person)]


def assert_private(calls: list[Call], *, asker: JsonDict, conversation: str, holds: str) -> None:
    """Sent to the asker's 1:1 chat; the shared conversation got the note and nothing else."""
    assert holds in everything(to(calls, asker))
    there = shared(calls, conversation)
    assert [c.body.get("text") for c in there] == [PRIVATE_NOTE]
    assert not any(word in everything(there) for word in PRIVATE_WORDS)
    messages = [c for c in calls if c.conversation_id]  # the rest open the 1:1 chat
    assert {c.conversation_id for c in messages} == {personal(asker), *(c.conversation_id for c in there)}


@pytest.fixture
async def support(teams: TeamsApp) -> dict[str, int]:
    """Alice (admin) installed the app in Support; Bob gave Carol a private shout-out and, with review on,
    has a story waiting for review. Returns the items' numbers."""
    await setup_channel(teams)
    await say(teams, f"shoutout private @Carol {PRIVATE_REASON}", sender=BOB, mentioned=(CAROL,))
    await say(teams, "review on")
    await say(teams, PENDING, sender=BOB)
    async with teams.runtime.sessions() as session:
        found = {m.kind: m.id for m in await session.scalars(select(Moment).where(Moment.library_key.is_(None)))}
    return found


@pytest.mark.parametrize("where", ["channel", "chat"], ids=["channel", "group-chat"])
async def test_mine_goes_to_the_asker_alone(teams: TeamsApp, support: dict[str, int], where: str) -> None:
    calls = await say(teams, "mine", sender=BOB, where=where)
    assert_private(calls, asker=BOB, conversation=CHANNEL if where == "channel" else CHAT, holds="Okonkwo")
    assert "pram arrived broken" in everything(to(calls, BOB)) and "private" in everything(to(calls, BOB))


@pytest.mark.parametrize("where", ["channel", "chat"], ids=["channel", "group-chat"])
async def test_stats_go_to_the_asker_alone(teams: TeamsApp, support: dict[str, int], where: str) -> None:
    calls = await say(teams, "stats", where=where)
    conversation = CHANNEL if where == "channel" else CHAT
    assert_private(calls, asker=ALICE, conversation=conversation, holds="Not recognised in the last 90 days")
    member = await say(teams, "stats 30", sender=CAROL, where=where)
    assert_private(member, asker=CAROL, conversation=conversation, holds="last 30 days")


async def test_an_items_edit_form_goes_to_its_author_alone(teams: TeamsApp, support: dict[str, int]) -> None:
    calls = await say(teams, f"edit {support['story']}", sender=BOB)
    assert_private(calls, asker=BOB, conversation=CHANNEL, holds="pram arrived broken")
    (form,) = cards(to(calls, BOB)[0])
    assert form["actions"][0]["data"] == {"form": "story", "context": str(support["story"])}
    shoutout = await say(teams, f"change {support['shoutout']}", sender=BOB)
    assert_private(shoutout, asker=BOB, conversation=CHANNEL, holds="Okonkwo")


async def test_edit_pressed_on_a_story_in_the_channel_opens_the_form_in_the_1_to_1_chat(teams: TeamsApp) -> None:
    await setup_channel(teams)
    told = await say(teams, PENDING, sender=BOB)
    (readback,) = [c for c in told if cards(c)]
    edit = buttons(cards(readback)[-1])["Edit in the form"]
    calls = await send(teams, submit(edit, teams.service_url, card_id=readback.posted_id, sender=BOB))
    assert_private(calls, asker=BOB, conversation=CHANNEL, holds="pram arrived broken")
    assert not teams.connector.updates(readback.posted_id)


async def test_the_review_queue_goes_to_the_manager_alone(teams: TeamsApp, support: dict[str, int]) -> None:
    calls = await say(teams, "review", where="chat")
    assert_private(calls, asker=ALICE, conversation=CHAT, holds="pram arrived broken")


async def test_saved_changes_to_an_item_are_answered_to_its_author_alone(
    teams: TeamsApp, support: dict[str, int]
) -> None:
    form = {"form": "story", "context": str(support["story"])}
    values = {"field.situation": "A regular customer's pram arrived broken in the rain", "field.lesson": "spares"}
    calls = await send(teams, submit({**form, **values}, teams.service_url, card_id="1", sender=BOB))
    assert_private(calls, asker=BOB, conversation=CHANNEL, holds="in the rain")
    assert not teams.connector.updates("1")


async def test_public_answers_still_go_to_the_channel(teams: TeamsApp) -> None:
    await setup_channel(teams)
    given = await say(teams, "shoutout @Carol answered every call on the first ring", sender=BOB, mentioned=(CAROL,))
    posts = teams.connector.posts(CHANNEL)
    assert posts and "Bob recognises Carol" in content(posts[0])
    assert any("Thanks! Your shout-out #" in content(c) for c in shared(given, CHANNEL))
    queue = await say(teams, "queue")
    assert queue and all(c.conversation_id.startswith(f"{CHANNEL};messageid=") for c in queue)
    assert "Customer Moment queue" in everything(queue) and PRIVATE_NOTE not in everything(queue)


async def test_in_the_1_to_1_chat_private_answers_come_without_a_note(teams: TeamsApp, support: dict[str, int]) -> None:
    calls = await say(teams, "mine", sender=BOB, where="personal")
    assert len({c.conversation_id for c in calls}) == 1 and calls[0].conversation_id.startswith("a:1personal")
    assert "Okonkwo" in everything(calls) and PRIVATE_NOTE not in everything(calls)


ANONYMOUS = "story anonymous A customer's parcel went astray twice | I drove it over myself | lesson: own the fix"


async def test_voting_on_your_own_anonymous_story_is_answered_to_you_alone(teams: TeamsApp) -> None:
    """Said in the channel, "that one is yours" would tell everyone who wrote the anonymous story."""
    await setup_channel(teams)
    await say(teams, ANONYMOUS, sender=BOB)
    await say(teams, "request in 15m")
    async with teams.runtime.sessions() as session:
        featured = await session.scalar(select(Moment.id).where(Moment.anonymous.is_(True)))
    assert f"#{featured}" in everything(await say(teams, "queue")), "the anonymous story is the one featured"
    calls = await say(teams, "helpful", sender=BOB)
    assert_private(calls, asker=BOB, conversation=CHANNEL, holds="That one is yours")
    assert "yours" not in everything(shared(calls, CHANNEL))


async def test_a_manager_refused_on_their_own_anonymous_story_is_told_alone(teams: TeamsApp) -> None:
    await setup_channel(teams)
    await say(teams, "managers add @Bob", mentioned=(BOB,))
    await say(teams, "help", sender=BOB)  # Bob, another manager of the channel, decides on Alice's items
    await say(teams, "review on")
    await say(teams, ANONYMOUS)  # Alice's own, waiting for review
    async with teams.runtime.sessions() as session:
        waiting = await session.scalar(select(Moment.id).where(Moment.anonymous.is_(True)))
    calls = await say(teams, f"approve {waiting}")
    assert_private(calls, asker=ALICE, conversation=CHANNEL, holds="is yours")
    assert "yours" not in everything(shared(calls, CHANNEL))


async def test_an_anonymous_story_shared_in_the_channel_is_answered_to_its_author_alone(teams: TeamsApp) -> None:
    """Its answer names its number and shows it as read: in the channel, that would tie the author to it."""
    await setup_channel(teams)
    calls = await say(teams, ANONYMOUS, sender=BOB)
    assert_private(calls, asker=BOB, conversation=CHANNEL, holds="Thanks! Your customer story")
    assert "parcel went astray" not in everything(shared(calls, CHANNEL))


async def test_withdraw_and_edit_are_answered_alone_whoever_asks(teams: TeamsApp) -> None:
    """The author's answer and anyone else's refusal go the same way, so neither tells whose the item is."""
    await setup_channel(teams)
    await say(teams, ANONYMOUS, sender=BOB)
    async with teams.runtime.sessions() as session:
        story = await session.scalar(select(Moment.id).where(Moment.anonymous.is_(True)))
    for command in (f"withdraw {story}", f"edit {story}"):
        calls = await say(teams, command, sender=CAROL)
        assert_private(calls, asker=CAROL, conversation=CHANNEL, holds=f"#{story}")
