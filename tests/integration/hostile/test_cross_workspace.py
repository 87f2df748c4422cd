"""Another workspace's ids, used from this workspace: refused, the other workspace unchanged, nothing of it shown.

Workspace A fills itself with a story, a shout-out, a pending story under review, an exercise, a
meeting and an agenda card. Then, from workspace B, every button and command that takes an id is used
with A's ids (and A's channel and card), every call the bot makes in return is read, and A's rows are
compared with what they were.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.runtime import Runtime
from tests.integration.hostile.support import slack_wire, table_rows, teams_wire
from tests.integration.slack.driver import SlackDriver, all_text
from tests.integration.slack.test_oauth import install
from tests.integration.teams.builders import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    CHAT,
    OTHER_TENANT,
    TEAM,
    TENANT,
    message,
    submit,
)
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import buttons, cards, content

SECRETS = ("Zebra-story-of-A", "Zebra-lesson-of-A", "Zebra-shoutout-of-A", "Zebra-pending-of-A", "Zebra-exercise-of-A")


@dataclass
class Ids:
    """A's numbers, as B would have to guess (or steal) them."""

    moments: list[str] = field(default_factory=list)
    pending: str = ""
    meeting: str = ""
    agenda: str = ""
    card: str = ""  # A's card: Slack message ts or Teams activity id


def numbers(text: str) -> list[str]:
    """The ``#N`` numbers a reply names, each once, in order."""
    return list(dict.fromkeys(re.findall(r"#(\d+)", text)))


def only_grew(before: dict[str, list[tuple[str, ...]]], after: dict[str, list[tuple[str, ...]]]) -> dict[str, Any]:
    """Rows that existed before and are gone or changed now (rows B may have added are not counted)."""
    lost = {}
    for table, rows in before.items():
        missing = sorted(set(rows) - set(after.get(table, [])))
        if missing:
            lost[table] = missing
    return lost


def no_secret_in(wire: str) -> None:
    for secret in SECRETS:
        assert secret not in wire, secret


# -- Slack -------------------------------------------------------------------------------------------


async def fill_slack_workspace_a(slack: SlackDriver) -> Ids:
    ids = Ids()
    a: dict[str, Any] = {"team": "TA", "user": "UA", "channel": "CA"}
    said = slack.said(await slack.command(f"story {SECRETS[0]} happened | I helped | {SECRETS[1]}", **a))
    ids.moments += numbers(said)
    said = slack.said(await slack.command(f"shoutout <@UA2> {SECRETS[2]} stayed late for the customer", **a))
    ids.moments += numbers(said)
    said = slack.said(await slack.command(f"exercise {SECRETS[4]} | Discuss it | Pair up", **a))
    ids.moments += numbers(said)
    await slack.command("review on", **a)
    said = slack.said(await slack.command(f"story {SECRETS[3]} happened | fixed | lesson", team="TA", user="UA2"))
    ids.pending = numbers(said)[0]
    said = slack.said(await slack.command("schedule weekly tue 10:00 Europe/Berlin lead 30m", **a))
    ids.meeting = (numbers(said) or numbers(slack.said(await slack.command("meetings", **a))))[0]
    await slack.command("request", **a)
    card = slack.fake.posted("CA")[-1]
    ids.card = card["ts"]
    ids.agenda = next(e["value"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])
    return ids


async def test_slack_workspace_b_cannot_touch_or_read_workspace_a(slack_oauth: SlackDriver, runtime: Runtime) -> None:
    slack = slack_oauth
    await install(slack, "TA", "code-a")
    token_b = await install(slack, "TB", "code-b")
    for user, name, team in (("UA", "Ann", "TA"), ("UA2", "Abe", "TA"), ("UB", "Ben", "TB"), ("UB2", "Bea", "TB")):
        slack.fake.add_user(user, name, team_id=team)
    ids = await fill_slack_workspace_a(slack)
    assert all((ids.pending, ids.meeting, ids.agenda, ids.card)) and len(ids.moments) == 3, ids
    await slack.command("help", team="TB", user="UB", channel="CB")  # B's admin, B's channel
    card_a = json.dumps(slack.fake.posted("CA")[-1], sort_keys=True)
    before = await table_rows(runtime.engine)
    slack.fake.reset()

    said: list[str] = []
    for channel in ("CB", "CA"):  # B's own channel, and A's channel id named from B
        b: dict[str, Any] = {"team": "TB", "user": "UB", "channel": channel}
        for action in ("agenda.swap", "agenda.skip", "agenda.done", "agenda.helpful"):
            said.append(slack.said(await slack.press(action, ids.agenda, message_ts=ids.card, **b)))
        for action in ("review.approve", "review.reject"):
            for moment in (ids.pending, *ids.moments):
                said.append(slack.said(await slack.press(action, moment, message_ts=ids.card, **b)))
        for moment in (ids.pending, *ids.moments):
            for command in ("approve", "withdraw", "hide"):
                said.append(slack.said(await slack.command(f"{command} {moment}", **b)))
            said.append(slack.said(await slack.command(f"reject {moment} not yours", **b)))
        for command in ("pause", "resume", "unschedule"):
            said.append(slack.said(await slack.command(f"{command} {ids.meeting}", **b)))
        said.append(slack.said(await slack.command(f"remind {ids.meeting} 1d", **b)))
        said.append(slack.said(await slack.command(f"skipdate {ids.meeting} 2026-12-01", **b)))
        for command in ("swap", "skip", "done", "helpful"):
            said.append(slack.said(await slack.command(f"{command} {ids.agenda}", **b)))
        for command in ("queue", "mine", "meetings", "review", "stats", "export json", "export csv"):
            said.append(slack.said(await slack.command(command, **b)))
    # A reject form for A's pending story, submitted in B.
    await slack.press("review.reject", ids.pending, team="TB", user="UB", channel="CB")
    status, body = await slack.submit(
        {
            "type": "modal",
            "callback_id": "customer_moment.form",
            "private_metadata": json.dumps({"form": "reject", "context": ids.pending, "channel": "CA"}),
            "blocks": [
                {"type": "input", "block_id": "reason", "element": {"type": "plain_text_input", "action_id": "reason"}}
            ],
        },
        {"reason": "Not yours to judge"},
        team="TB",
        user="UB",
    )
    assert status == 200, body
    # B's own Home: its queues, its review list.
    slack.fake.user_channels["UB"] = [{"id": "CA", "name": "support"}, {"id": "CB", "name": "support"}]
    slack.fake.bot_channels["TB"] = [{"id": "CA", "name": "support"}, {"id": "CB", "name": "support"}]
    assert (
        await slack.event({"type": "app_home_opened", "user": "UB", "channel": "DB", "tab": "home"}, team="TB") == 200
    )

    assert slack.fake.uploads, "B's exports were shared as files"
    exported = b"\n".join(slack.fake.uploads.values()).decode()
    wire = slack_wire(slack.fake) + "\n".join(said) + all_text(body) + exported
    no_secret_in(wire)
    refused_everything(said, ids)
    assert {c.token for c in slack.fake.calls} == {token_b}
    assert slack.fake.calls_to("chat.update") == []
    assert slack.fake.posted("CA") and json.dumps(slack.fake.posted("CA")[-1], sort_keys=True) == card_a
    assert only_grew(before, await table_rows(runtime.engine)) == {}


# -- Teams -------------------------------------------------------------------------------------------


B_CONVERSATIONS = {  # tenant B's own channel, team and chat (conversation ids are unique across Teams)
    CHANNEL: "19:b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0@thread.tacv2",
    TEAM: "19:b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1@thread.tacv2",
    CHAT: "19:meeting_QkJCQkJCQkJCQkJCQkJCQkJC@thread.v2",
}


class Teams:
    """Talks to the Teams server as one tenant, keeping what the bot answered to each activity."""

    def __init__(self, teams: TeamsApp, *, tenant: str, sender: dict[str, Any], own_conversations: bool) -> None:
        self.teams, self.tenant, self.sender = teams, tenant, sender
        self.swap = B_CONVERSATIONS if own_conversations else {}

    def _as_mine(self, activity: dict[str, Any]) -> dict[str, Any]:
        wire = json.dumps(activity)
        for theirs, mine in self.swap.items():
            wire = wire.replace(theirs, mine)
        return dict(json.loads(wire))

    async def _post(self, activity: dict[str, Any]) -> str:
        start = len(self.teams.connector.calls)
        response = await self.teams.post(self._as_mine(activity))
        assert response.status == 200
        return "\n".join(content(c) for c in self.teams.connector.calls[start:] if c.body)

    async def say(self, text: str, **options: Any) -> str:
        return await self._post(
            message(text, self.teams.service_url, tenant=self.tenant, sender=self.sender, **options)
        )

    async def press(self, value: dict[str, Any], card: str, **options: Any) -> str:
        """Use a card's button (or form); ``card`` is the activity it was on (``replyToId``)."""
        return await self._post(
            submit(value, self.teams.service_url, card_id=card, tenant=self.tenant, sender=self.sender, **options)
        )


def refused_everything(said: list[str], ids: Ids) -> None:
    """The ids were tried, and each was answered as unknown here."""
    text = "\n".join(said)
    assert f"There is no agenda item #{ids.agenda}" in text
    assert f"There is no meeting #{ids.meeting}" in text
    for moment in (ids.pending, *ids.moments):
        assert f"There is no item #{moment}" in text, moment


async def fill_teams_tenant_a(teams: TeamsApp) -> Ids:
    a = Teams(teams, tenant=TENANT, sender=ALICE, own_conversations=False)
    ids = Ids()
    ids.moments += numbers(await a.say(f"story {SECRETS[0]} happened lesson: {SECRETS[1]}"))
    ids.moments += numbers(
        await a.say(f"shoutout @Carol {SECRETS[2]} stayed late for the customer", mentioned=(CAROL,))
    )
    ids.moments += numbers(await a.say(f"exercise {SECRETS[4]} | Discuss it | Pair up"))
    await a.say("review on")
    carol = Teams(teams, tenant=TENANT, sender=CAROL, own_conversations=False)
    ids.pending = numbers(await carol.say(f"story {SECRETS[3]} happened lesson: call back"))[0]
    ids.meeting = numbers(await a.say("schedule weekly tue 10:00 Europe/Berlin lead 30m"))[0]
    start = len(teams.connector.calls)
    await a.say("request")
    for call in teams.connector.calls[start:]:
        for card in cards(call):
            if "Swap" in buttons(card):
                ids.agenda, ids.card = str(buttons(card)["Swap"]["value"]), call.posted_id
    return ids


@pytest.mark.parametrize("own_conversations", [True, False], ids=["b-conversations", "a-conversation-ids-forged"])
async def test_teams_tenant_b_cannot_touch_or_read_tenant_a(
    teams: TeamsApp, runtime: Runtime, own_conversations: bool
) -> None:
    """B uses A's numbers and A's card (``replyToId``), from its own conversations or naming A's.

    Naming A's conversation is a forgery only possible with authentication off (the Bot Framework, not
    the sender, fills in ``conversation`` and ``replyToId``); the bot then answers into that
    conversation — a pressed review card is replaced by the refusal — but never with anything of A's.
    """
    ids = await fill_teams_tenant_a(teams)
    assert all((ids.pending, ids.meeting, ids.agenda, ids.card)) and len(ids.moments) == 3, ids
    b = Teams(teams, tenant=OTHER_TENANT, sender=BOB, own_conversations=own_conversations)
    await b.say("help")  # B's first contact: B's admin and channel
    before = await table_rows(runtime.engine)
    teams.connector.clear()

    said: list[str] = []
    for where in ("channel", "personal") if own_conversations else ("channel",):
        for action in ("agenda.swap", "agenda.skip", "agenda.done", "agenda.helpful"):
            said.append(await b.press({"action": action, "value": ids.agenda}, ids.card, where=where))
        for action in ("review.approve", "review.reject"):
            for moment in (ids.pending, *ids.moments):
                said.append(await b.press({"action": action, "value": moment}, ids.card, where=where))
        reject = {"form": "reject", "context": ids.pending, "field.reason": "Not yours to judge"}
        said.append(await b.press(reject, ids.card, where=where))
        for moment in (ids.pending, *ids.moments):
            for command in ("approve", "withdraw", "hide"):
                said.append(await b.say(f"{command} {moment}", where=where))
            said.append(await b.say(f"reject {moment} not yours", where=where))
        for command in ("pause", "resume", "unschedule"):
            said.append(await b.say(f"{command} {ids.meeting}", where=where))
        said.append(await b.say(f"remind {ids.meeting} 1d", where=where))
        said.append(await b.say(f"skipdate {ids.meeting} 2026-12-01", where=where))
        for command in ("swap", "skip", "done", "helpful"):
            said.append(await b.say(f"{command} {ids.agenda}", where=where))
        for command in ("queue", "mine", "meetings", "review", "stats"):
            said.append(await b.say(command, where=where))
    said.append(await b.say("export json", where="personal"))

    no_secret_in(teams_wire(teams.connector) + "\n".join(said))
    refused_everything(said, ids)
    assert only_grew(before, await table_rows(runtime.engine)) == {}
    if own_conversations:
        a_conversations = (CHANNEL, TEAM, CHAT)
        assert not [c.path for c in teams.connector.calls if any(conv in c.path for conv in a_conversations)]
    else:
        assert all("There is no item" in content(update) for update in teams.connector.updates(ids.card))
    # A still sees its own: the ids were real.
    a = Teams(teams, tenant=TENANT, sender=ALICE, own_conversations=False)
    assert SECRETS[0] in await a.say("mine", where="personal")
