"""A shout-out names only real, active, human members: a bot, a deactivated account or an id Slack does not
know is refused by name and nothing is stored; when Slack cannot be asked, nothing is stored either."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.runtime import Runtime
from bot.storage.models import Member, Moment
from tests.integration.slack.driver import SlackDriver

REASON = "called the customer back before they had to chase us"


@pytest.fixture
def strangers(slack: SlackDriver) -> SlackDriver:
    slack.fake.add_user("UBOT", "Deploybot")
    slack.fake.users["UBOT"]["is_bot"] = True
    slack.fake.add_user("UDEL", "Dora")
    slack.fake.users["UDEL"]["deleted"] = True
    return slack


@pytest.mark.parametrize(
    ("mention", "said"),
    [
        ("<@UBOT>", "Deploybot is a bot or an app — a shout-out is for colleagues."),
        ("<@UBOT|deploybot>", "Deploybot is a bot or an app — a shout-out is for colleagues."),
        ("<@UDEL>", "Dora is no longer an active member of this workspace."),
        ("<@UNOPE>", "I can't find @UNOPE in this workspace."),
        ("<@UNOPE|nope>", "I can't find nope in this workspace."),
        ("<@U2> <@UNOPE>", "I can't find @UNOPE in this workspace."),
    ],
)
async def test_a_shoutout_naming_a_bot_a_deactivated_or_an_unknown_account_is_refused(
    strangers: SlackDriver, runtime: Runtime, mention: str, said: str
) -> None:
    slack = strangers
    answer = await slack.command(f"shoutout {mention} {REASON}")

    assert said in slack.said(answer)
    assert "Thanks" not in slack.said(answer)
    assert slack.fake.posted("C1") == []
    assert not [c for c in slack.fake.calls_to("conversations.open")]
    assert await shoutouts(runtime) == 0
    async with runtime.sessions() as session:
        assert set(await session.scalars(select(Member.external_id))) <= {"U1"}


async def test_a_shoutout_form_naming_a_bot_is_an_inline_error(strangers: SlackDriver, runtime: Runtime) -> None:
    slack = strangers
    await slack.command("shoutout")

    _, body = await slack.submit(slack.opened_view(), {"recipients": ["U2", "UBOT"], "reason": REASON})

    assert body["response_action"] == "errors"
    assert "Deploybot is a bot" in body["errors"]["recipients"]
    assert await shoutouts(runtime) == 0


GATEWAY_PAGE = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"


@pytest.mark.parametrize(
    "failure",
    [{"error": "internal_error"}, {"error": "", "status": 503, "page": GATEWAY_PAGE, "times": 5}],
    ids=["slack's error", "a gateway's page"],
)
async def test_when_slack_cannot_say_who_someone_is_nothing_is_stored(
    slack: SlackDriver, runtime: Runtime, failure: dict[str, Any]
) -> None:
    await slack.command("help")  # the person asking is known (and their profile cached)
    slack.fake.fail("users.info", **failure)

    answer = await slack.command(f"shoutout <@U3|carol> {REASON}")

    assert "I couldn't check who carol is just now, so nothing was saved" in slack.said(answer)
    assert slack.fake.posted("C1") == [] and await shoutouts(runtime) == 0

    again = await slack.command(f"shoutout <@U3|carol> {REASON}")
    assert "is shared" in slack.said(again)


async def test_a_command_is_answered_when_slack_answers_who_is_asking_with_an_error_page(slack: SlackDriver) -> None:
    slack.fake.fail("users.info", "", status=503, page=GATEWAY_PAGE, times=10)  # past the client's retries

    answer = await slack.command("story A customer was double-billed | I refunded at once")

    assert "is in the pool" in slack.said(answer)
    assert "double-billed" in slack.said(await slack.command("mine"))


async def shoutouts(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        found = await session.scalar(select(func.count()).select_from(Moment).where(Moment.kind == "shoutout"))
    return int(found or 0)


@pytest.mark.parametrize(
    ("mention", "said"),
    [
        ("<@UBOT>", "Deploybot is a bot or an app — only people can be managers."),
        ("<@UDEL>", "Dora is no longer an active member of this workspace."),
        ("<@UNOPE|nope>", "I can't find nope in this workspace."),
        ("<@U2> <@UBOT>", "Deploybot is a bot or an app — only people can be managers."),
    ],
)
async def test_only_active_people_can_be_made_managers(
    strangers: SlackDriver, runtime: Runtime, mention: str, said: str
) -> None:
    slack = strangers
    await slack.command("help")  # U1, the first member: admin
    answer = await slack.command(f"managers add {mention}")

    assert said in slack.said(answer)
    async with runtime.sessions() as session:
        roles = {who: role for who, role in await session.execute(select(Member.external_id, Member.role))}
    assert [who for who, role in roles.items() if role != "member"] == ["U1"]  # nobody's role changed
