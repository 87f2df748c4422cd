"""What users.info says about someone travels with them: a bot, a deactivated account, or an active member."""

from __future__ import annotations

import pytest

from adapters.slack.people import profile_from_user, unlooked
from bot.events import Standing


@pytest.mark.parametrize(
    ("user", "standing"),
    [
        ({"id": "U2", "name": "bob"}, Standing.MEMBER),
        ({"id": "U2", "name": "bob", "is_bot": False, "deleted": False}, Standing.MEMBER),
        ({"id": "UB", "name": "deploybot", "is_bot": True}, Standing.BOT),
        ({"id": "USLACKBOT", "name": "slackbot"}, Standing.BOT),
        ({"id": "UD", "name": "dora", "deleted": True}, Standing.DEACTIVATED),
        ({"id": "UD", "name": "oldbot", "deleted": True, "is_bot": True}, Standing.DEACTIVATED),
    ],
)
def test_the_standing_slack_gives_travels_with_the_person(user: dict[str, object], standing: Standing) -> None:
    assert profile_from_user(user).person().standing is standing


def test_someone_slack_was_not_asked_about_is_unchecked_never_a_member() -> None:
    assert unlooked("U9", "nine").person().standing is Standing.UNCHECKED
    assert unlooked("U9", standing=Standing.UNKNOWN).person().standing is Standing.UNKNOWN
