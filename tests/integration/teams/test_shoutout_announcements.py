"""In Teams too, a shout-out's channel announcement is updated in place when the shout-out may no longer be
shown there, and redrawn naming only the others when one recipient of several hides it."""

from __future__ import annotations

from tests.integration.teams.builders import BOB, CAROL, CHANNEL, JsonDict
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import content
from tests.integration.teams.test_commands import SHOUTOUT_REASON, moments, say, texts


async def _announced(teams: TeamsApp, text: str, mentioned: tuple[JsonDict, ...]) -> str:
    await say(teams, text, mentioned=mentioned)
    (post,) = [p for p in teams.connector.posts(CHANNEL) if "recognises" in content(p)]
    return post.posted_id


async def test_withdrawing_a_shoutout_updates_its_channel_announcement_in_place(teams: TeamsApp) -> None:
    posted = await _announced(teams, f"shoutout @Bob {SHOUTOUT_REASON}", (BOB,))
    (shoutout,) = await moments(teams)

    answer = await say(teams, f"withdraw {shoutout.id}")

    assert "I took its announcement out of" in texts(answer)
    (update,) = teams.connector.updates(posted)
    assert "no longer shown" in content(update)
    assert SHOUTOUT_REASON not in content(update) and "Bob" not in content(update)
    assert not [p for p in teams.connector.posts(CHANNEL) if "no longer shown" in content(p)]


async def test_one_recipient_of_two_hiding_it_redraws_the_announcement_naming_the_other(teams: TeamsApp) -> None:
    posted = await _announced(teams, f"shoutout @Bob @Carol {SHOUTOUT_REASON}", (BOB, CAROL))
    (shoutout,) = await moments(teams)

    await say(teams, f"hide {shoutout.id}", sender=CAROL)

    (update,) = teams.connector.updates(posted)
    assert "Alice recognises Bob" in content(update) and "Carol" not in content(update)


async def test_a_shoutout_for_another_bot_is_refused_and_nothing_is_stored(teams: TeamsApp) -> None:
    other_bot = {"id": "28:another-bot", "name": "Polly"}

    answer = await say(teams, f"shoutout @Polly {SHOUTOUT_REASON}", mentioned=(other_bot,))

    assert "Polly is a bot or an app — a shout-out is for colleagues." in texts(answer)
    assert await moments(teams) == []
    assert not teams.connector.created()
