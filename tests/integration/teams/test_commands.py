"""Every `/moment` command, typed to the bot in a Teams channel, group chat or 1:1, over real HTTP."""

from __future__ import annotations

from sqlalchemy import select

from adapters.teams.files import CONSENT
from bot.storage.models import AgendaItem, MeetingSeries, Member, Moment, Team
from tests.integration.teams.builders import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    CHAT,
    TENANT,
    aad,
    message,
)
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import attachments, cards, content
from tests.support.fake_connector import Call

STORY = "story A customer called twice about a late parcel lesson: call back before they have to chase us"
SHOUTOUT_REASON = "called the customer back before they had to chase us, twice this week"


async def say(teams: TeamsApp, text: str, **options: object) -> list[Call]:
    """Send a message; returns what the bot posted in answer."""
    teams.connector.clear()
    response = await teams.post(message(text, teams.service_url, **options))  # type: ignore[arg-type]
    assert response.status == 200, await response.text()
    return [c for c in teams.connector.calls if c.method in ("POST", "PUT")]


def texts(calls: list[Call]) -> str:
    return "\n".join(content(c) for c in calls)


async def moments(teams: TeamsApp) -> list[Moment]:
    async with teams.runtime.sessions() as session:
        return list(await session.scalars(select(Moment).where(Moment.library_key.is_(None)).order_by(Moment.id)))


async def test_help_in_a_channel_answers_in_the_thread_without_the_bot_mention(teams: TeamsApp) -> None:
    calls = await say(teams, "help")
    (answer,) = calls
    assert answer.conversation_id.startswith(f"{CHANNEL};messageid=")
    assert answer.body["textFormat"] == "plain"
    assert "Customer Moment — a customer story" in answer.body["text"]


async def test_moment_prefix_and_help_topic_work_in_a_group_chat_and_1_to_1(teams: TeamsApp) -> None:
    chat = await say(teams, "moment help story", where="chat")
    assert chat[0].conversation_id == CHAT and "story [anon]" in texts(chat)
    personal = await say(teams, "help shoutout", where="personal")
    assert personal[0].conversation_id.startswith("a:") and "shoutout [private]" in texts(personal)


async def test_an_unknown_command_gets_a_friendly_answer(teams: TeamsApp) -> None:
    calls = await say(teams, "dance")
    assert "I don't know the command 'dance'" in texts(calls)


async def test_story_with_text_is_saved_for_the_channel_team(teams: TeamsApp) -> None:
    calls = await say(teams, STORY)
    assert "Thanks! Your customer story #" in texts(calls)
    (story,) = await moments(teams)
    assert story.kind == "story" and story.lesson.startswith("call back before")
    async with teams.runtime.sessions() as session:
        team = await session.scalar(select(Team))
        member = await session.scalar(select(Member))
    assert team is not None and team.external_id == CHANNEL
    assert member is not None and member.external_id == aad(ALICE) and member.role == "admin"


async def test_story_without_text_opens_the_story_form(teams: TeamsApp) -> None:
    calls = await say(teams, "story")
    (card,) = cards(calls[0])
    assert card["version"] == "1.5"
    assert {e["id"] for e in card["body"] if "id" in e} >= {"field.situation", "field.lesson", "field.anonymous"}
    assert card["actions"][0]["data"] == {"form": "story", "context": ""}


async def test_story_in_a_1_to_1_chat_asks_for_the_channel(teams: TeamsApp) -> None:
    calls = await say(teams, STORY, where="personal")
    assert "Run this in your team's channel" in texts(calls)
    assert await moments(teams) == []


async def test_shoutout_with_a_mention_names_the_person_dms_them_and_posts_in_the_channel(teams: TeamsApp) -> None:
    calls = await say(teams, f"shoutout @Bob {SHOUTOUT_REASON}", mentioned=(BOB,))
    assert "Thanks! Your shout-out #" in texts(calls)
    created = teams.connector.created()
    assert created and created[0].body["members"] == [{"id": BOB["id"]}]
    assert created[0].body["channelData"] == {"tenant": {"id": TENANT}}
    dm = teams.connector.posts(f"a:personal-{BOB['id']}")
    assert dm and "Alice gave you a shout-out" in content(dm[0])
    channel_posts = teams.connector.posts(CHANNEL)
    assert channel_posts and "Alice recognises Bob" in content(channel_posts[0])
    async with teams.runtime.sessions() as session:
        bob = await session.scalar(select(Member).where(Member.external_id == aad(BOB)))
    assert bob is not None and bob.name == "Bob"


async def test_shoutout_for_yourself_is_refused(teams: TeamsApp) -> None:
    calls = await say(teams, f"shoutout @Alice {SHOUTOUT_REASON}", mentioned=(ALICE,))
    assert "A shout-out is for someone else" in texts(calls)


async def test_shoutout_without_a_mention_shows_the_usage(teams: TeamsApp) -> None:
    calls = await say(teams, f"shoutout {SHOUTOUT_REASON}")
    assert "Who is it for?" in texts(calls)


async def test_typed_at_markup_is_not_a_mention(teams: TeamsApp) -> None:
    calls = await say(teams, f"shoutout <at>Bob</at> {SHOUTOUT_REASON}")
    assert "Who is it for?" in texts(calls)
    assert not teams.connector.created()


async def test_exercise_is_added_to_the_channel_pool(teams: TeamsApp) -> None:
    calls = await say(teams, "exercise Bad news | Deliver a delay well | Say it early; Offer a choice | 10")
    assert "Added exercise #" in texts(calls) and "“Bad news”" in texts(calls)


async def test_schedule_meetings_pause_resume_skipdate_remind_and_unschedule(teams: TeamsApp) -> None:
    scheduled = texts(await say(teams, "schedule weekly tue 10:00 Europe/Berlin lead 30m"))
    assert "Scheduled: every Tuesday at 10:00 (Europe/Berlin)" in scheduled
    assert "Meeting #1" in texts(await say(teams, "meetings"))
    assert "Paused meeting #1" in texts(await say(teams, "pause 1"))
    assert "meeting #1" in texts(await say(teams, "resume 1")).lower()
    assert "will have no moment on 2026-12-01" in texts(await say(teams, "skipdate 1 2026-12-01"))
    assert "I'll DM the organizer of meeting #1" in texts(await say(teams, "remind 1 1d"))
    await say(teams, "unschedule 1")
    async with teams.runtime.sessions() as session:
        series = await session.scalar(select(MeetingSeries))
    assert series is not None and series.state == "deleted"


async def test_schedule_without_text_opens_the_schedule_form(teams: TeamsApp) -> None:
    (card,) = cards((await say(teams, "schedule"))[0])
    ids = {e["id"]: e for e in card["body"] if "id" in e}
    assert ids["field.time"]["type"] == "Input.Time" and ids["field.time"]["value"] == "10:00"
    assert ids["field.day"]["type"] == "Input.ChoiceSet"


async def test_timezone_is_set_for_the_channel(teams: TeamsApp) -> None:
    assert "time zone is now Europe/Berlin" in texts(await say(teams, "timezone Europe/Berlin"))
    assert "Mars/Olympus" in texts(await say(teams, "tz Mars/Olympus"))


async def test_request_posts_the_agenda_card_at_the_channel_root_and_remembers_it(teams: TeamsApp) -> None:
    calls = await say(teams, "request in 15m")
    root = teams.connector.posts(CHANNEL)
    assert root, [c.conversation_id for c in calls]
    (card,) = cards(root[0])
    assert [a["title"] for a in card["actions"]] == ["Swap", "Skip", "Presented", "👍 Helpful"]
    assert "Why this one:" in content(root[0])
    async with teams.runtime.sessions() as session:
        item = await session.scalar(select(AgendaItem))
    assert item is not None and item.post_ref is not None
    assert item.post_ref["conversationId"] == CHANNEL and item.post_ref["activityId"]


async def test_swap_skip_done_and_helpful_commands_update_the_card_in_place(teams: TeamsApp) -> None:
    await say(teams, STORY)
    await say(teams, "request")
    (posted,) = teams.connector.posts(CHANNEL)
    swapped = await say(teams, "swap")
    assert [c.method for c in swapped] == ["PUT"] and swapped[0].conversation_id == CHANNEL
    card_id = swapped[0].activity_id
    done = await say(teams, "done")
    assert "Presented ✔" in texts(done)
    helpful = await say(teams, "helpful", sender=BOB)
    assert "Helpful (1)" in texts(helpful)
    again = await say(teams, "helpful", sender=BOB)
    assert "You already said this one was helpful" in texts(again)
    assert {c.activity_id for c in teams.connector.updates()} <= {card_id}
    assert posted.body["attachments"]


async def test_skip_marks_the_moment_skipped(teams: TeamsApp) -> None:
    await say(teams, "request")
    assert "Skipped this time" in texts(await say(teams, "skip"))


async def test_queue_shows_the_agenda_and_the_pool(teams: TeamsApp) -> None:
    await say(teams, STORY)
    calls = await say(teams, "queue")
    assert "Customer Moment queue" in texts(calls) and "Never featured yet" in texts(calls)


async def test_review_queue_goes_to_the_1_to_1_chat_with_a_note_in_the_thread(teams: TeamsApp) -> None:
    assert "Review is on" in texts(await say(teams, "review on"))
    await say(teams, STORY, sender=BOB)
    calls = await say(teams, "review")
    personal = [c for c in calls if c.conversation_id == f"a:personal-{ALICE['id']}"]
    assert personal and "waiting for review" in texts(personal)
    thread = [c for c in calls if c.conversation_id.startswith(CHANNEL)]
    assert thread and "I've sent that to you in our 1:1 chat" in texts(thread)
    assert "A customer called twice" not in texts(thread)


async def test_approve_and_reject_commands_tell_the_author(teams: TeamsApp) -> None:
    await say(teams, "review on")
    await say(teams, STORY, sender=BOB)
    await say(teams, STORY.replace("twice", "three times"), sender=BOB)
    first, second = await moments(teams)
    approved = await say(teams, f"approve {first.id}")
    assert f"Approved #{first.id}" in texts(approved)
    assert any("was approved" in content(c) for c in teams.connector.posts(f"a:personal-{BOB['id']}"))
    rejected = await say(teams, f"reject {second.id} please leave out the customer's street")
    assert f"Sent #{second.id} back" in texts(rejected)
    assert "leave out the customer's street" in texts(teams.connector.posts(f"a:personal-{BOB['id']}"))


async def test_reject_without_a_reason_opens_the_reason_form(teams: TeamsApp) -> None:
    await say(teams, "review on")
    await say(teams, STORY, sender=BOB)
    (story,) = await moments(teams)
    # A manager's decision is answered to them alone: the form opens in their 1:1 chat.
    (card,) = [card for call in await say(teams, f"reject {story.id}") for card in cards(call)]
    assert card["actions"][0]["data"] == {"form": "reject", "context": str(story.id)}


async def test_members_cannot_approve(teams: TeamsApp) -> None:
    await say(teams, "review on")
    await say(teams, STORY, sender=BOB)
    (story,) = await moments(teams)
    assert "Only managers" in texts(await say(teams, f"approve {story.id}", sender=CAROL))


async def test_stats_mine_withdraw_hide_optout_and_optin(teams: TeamsApp) -> None:
    await say(teams, STORY, sender=BOB)
    await say(teams, f"shoutout @Bob {SHOUTOUT_REASON}", mentioned=(BOB,))
    story, shoutout = await moments(teams)
    assert "last 90 days" in texts(await say(teams, "stats"))
    assert f"#{story.id}" in texts(await say(teams, "mine", sender=BOB, where="personal"))
    assert "withdrawn" in texts(await say(teams, f"withdraw {story.id}", sender=BOB)).lower()
    assert "hid" in texts(await say(teams, f"hide {shoutout.id}", sender=BOB)).lower()
    assert "will not be featured" in texts(await say(teams, "optout", sender=BOB, where="personal"))
    assert "again" in texts(await say(teams, "optin", sender=BOB, where="personal")).lower()


async def test_managers_add_and_remove_by_mention(teams: TeamsApp) -> None:
    await say(teams, "help")  # Alice arrives first: the workspace's admin
    added = await say(teams, "managers add @Bob", mentioned=(BOB,))
    assert "Now managers: Bob" in texts(added)
    assert "Bob (manager)" in texts(await say(teams, "managers"))
    assert "No longer managers: Bob" in texts(await say(teams, "managers remove @Bob", mentioned=(BOB,)))
    assert "Only admins" in texts(await say(teams, "managers add @Carol", sender=BOB, mentioned=(CAROL,)))


async def test_export_offers_the_file_in_the_1_to_1_chat(teams: TeamsApp) -> None:
    await say(teams, STORY)
    calls = await say(teams, "export csv")
    personal = [c for c in calls if c.conversation_id == f"a:personal-{ALICE['id']}"]
    (consent,) = attachments(personal[0], CONSENT)
    assert consent["name"].endswith(".csv") and consent["content"]["sizeInBytes"] > 0
    assert consent["content"]["acceptContext"]["command"] == "export csv"
    assert "I've sent the file to you in our 1:1 chat" in texts(calls)


async def test_mention_markup_in_someone_s_words_never_becomes_a_mention(teams: TeamsApp) -> None:
    typed = "story The customer wrote &lt;at&gt;Bob&lt;/at&gt; *everywhere* lesson: answer the first mail"
    await say(teams, typed)
    calls = await say(teams, "mine", where="personal")
    assert "<at>Bob</at> *everywhere*" in texts(calls)
    for call in calls:
        assert "entities" not in call.body
        assert all("msteams" not in str(card.get("body")) for card in cards(call))


async def test_replies_to_many_messages_reuse_one_connection_to_the_bot_connector(teams: TeamsApp) -> None:
    """The surface's HTTP session is kept between turns: no new TCP connection per activity."""
    teams.connector.clear()
    for text in ("help", "mine", "queue", "help story", "mine"):
        response = await teams.post(message(text, teams.service_url))
        assert response.status == 200, await response.text()
    peers = {c.peer for c in teams.connector.calls}
    assert len([c for c in teams.connector.calls if c.method == "POST"]) >= 5
    assert len(peers) == 1, peers
