"""Exports keep privacy: only managers get one, only they receive it, and what was withdrawn or hidden
is not in it. A private shout-out is in a manager's export, marked private, and nowhere else.
"""

from __future__ import annotations

import csv
import io
import json

from adapters.runtime import Runtime
from adapters.teams.files import CONSENT
from bot.events import Incoming
from bot.replies import Reply
from tests.integration.hostile.support import slack_wire
from tests.integration.slack.driver import SlackDriver
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import attachments
from tests.integration.teams.test_commands import say as teams_say
from tests.support.events import said

PRIVATE_PRAISE = "stayed until nine to rebuild the Okonkwo Bakery order by hand"
WITHDRAWN_STORY = "The Lindqvist account manager yelled about the broken invoice run"
HIDDEN_PRAISE = "calmed down the Petrov family after the double charge"
OPEN_STORY = "A courier lost the parcel and we called before the customer noticed"


async def ask(runtime: Runtime, incoming: Incoming) -> list[Reply]:
    return await runtime.core.handle(incoming)


def number_in(replies: list[Reply]) -> int:
    text = " ".join(r.text or "" for r in replies)
    return int(text.split("#", 1)[1].split()[0].rstrip(".,:"))


async def a_team_with_secrets(runtime: Runtime) -> None:
    """alice (admin) and members bob and carol; a private shout-out, a withdrawn story, a hidden shout-out."""
    for person in ("alice", "bob", "carol"):
        await ask(runtime, said("help", actor=person))
    await ask(runtime, said(f"shoutout private @carol {PRIVATE_PRAISE}", actor="bob"))
    withdrawn = number_in(await ask(runtime, said(f"story {WITHDRAWN_STORY} lesson: run it twice", actor="bob")))
    await ask(runtime, said(f"withdraw {withdrawn}", actor="bob"))
    hidden = number_in(await ask(runtime, said(f"shoutout @bob {HIDDEN_PRAISE}", actor="carol")))
    await ask(runtime, said(f"hide {hidden}", actor="bob"))
    await ask(runtime, said(f"story {OPEN_STORY} lesson: call first", actor="carol"))


def everything_in(replies: list[Reply]) -> str:
    return json.dumps([repr(r) for r in replies], ensure_ascii=False)


async def test_a_member_gets_no_export_and_no_private_text(runtime: Runtime) -> None:
    await a_team_with_secrets(runtime)
    for fmt in ("csv", "json"):
        replies = await ask(runtime, said(f"export {fmt}", actor="carol"))
        assert all(r.attachment is None for r in replies)
        assert "Only managers" in " ".join(r.text or "" for r in replies)
        assert "Okonkwo" not in everything_in(replies)


async def test_a_managers_csv_marks_private_items_and_drops_withdrawn_and_hidden_text(runtime: Runtime) -> None:
    await a_team_with_secrets(runtime)
    [reply] = [r for r in await ask(runtime, said("export csv", actor="alice")) if r.attachment is not None]
    assert reply.attachment is not None
    content = reply.attachment.content
    rows = list(csv.DictReader(io.StringIO(content)))
    [private] = [row for row in rows if PRIVATE_PRAISE in row["situation"]]
    assert private.get("visibility", "").startswith("private")
    assert all(not row.get("visibility", "").startswith("private") for row in rows if row is not private)
    assert {row["state"] for row in rows} >= {"withdrawn", "hidden", "approved"}
    for gone in ("Lindqvist", "broken invoice", "Petrov", "double charge", "run it twice"):
        assert gone not in content
    assert OPEN_STORY in content


async def test_a_managers_json_export_drops_withdrawn_text_too(runtime: Runtime) -> None:
    await a_team_with_secrets(runtime)
    [reply] = [r for r in await ask(runtime, said("export json", actor="alice")) if r.attachment is not None]
    assert reply.attachment is not None
    document = json.loads(reply.attachment.content)
    [private] = [m for m in document["moments"] if PRIVATE_PRAISE in m["situation"]]
    assert str(private.get("visibility")).startswith("private")
    assert "Lindqvist" not in reply.attachment.content and "Petrov" not in reply.attachment.content


async def test_slack_an_export_reaches_only_the_person_who_asked(slack: SlackDriver) -> None:
    await slack.command("help")  # U1: the workspace's first person, an admin
    await slack.command(f"shoutout private <@U3|carol> {PRIVATE_PRAISE}", user="U2")
    slack.fake.reset()
    for fmt in ("csv", "json"):
        await slack.command(f"export {fmt}")
    completes = slack.fake.calls_to("files.completeUploadExternal")
    assert [c.params["channel_id"] for c in completes] == ["DU1", "DU1"]
    assert all(c.params.get("users") == "U1" for c in slack.fake.calls_to("conversations.open"))
    for call in slack.fake.calls:
        assert call.params.get("channel") != "C1" or call.method == "chat.postEphemeral", call.method
        assert call.params.get("channel_id") != "C1", call.method
    assert slack.fake.posted("C1") == []
    assert any(PRIVATE_PRAISE in upload.decode() for upload in slack.fake.uploads.values())
    assert PRIVATE_PRAISE not in slack_wire(slack.fake)  # nothing of it in any message or ephemeral


async def test_slack_a_member_asking_for_an_export_gets_no_file(slack: SlackDriver) -> None:
    await slack.command("help")
    await slack.command(f"shoutout private <@U3|carol> {PRIVATE_PRAISE}", user="U2")
    slack.fake.reset()
    name = await slack.command("export csv", user="U2")
    assert "Only managers" in slack.said(name)
    assert slack.fake.uploads == {} and slack.fake.calls_to("files.getUploadURLExternal") == []
    assert PRIVATE_PRAISE not in slack_wire(slack.fake)


async def test_teams_an_export_asked_in_a_channel_is_offered_only_in_the_personal_chat(teams: TeamsApp) -> None:
    await teams_say(teams, f"story {OPEN_STORY} lesson: call first")
    calls = await teams_say(teams, "export csv")
    offers = [c for c in calls if attachments(c, CONSENT)]
    assert offers and all(c.conversation_id.startswith("a:personal-") for c in offers)
    elsewhere = [c for c in calls if not c.conversation_id.startswith("a:personal-")]
    assert all(not attachments(c, CONSENT) for c in elsewhere)
    assert OPEN_STORY not in json.dumps([c.body for c in calls], ensure_ascii=False)
