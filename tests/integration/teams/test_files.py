"""Exports in Teams: a file consent card in the 1:1 chat, then the upload to the person's OneDrive."""

from __future__ import annotations

from typing import Any

from adapters.teams.files import CONSENT, INFO
from tests.integration.teams.builders import ALICE, BOB, base, message
from tests.integration.teams.conftest import TeamsApp
from tests.integration.teams.reading import attachments, content

STORY = "story A customer called twice about a late parcel lesson: call back before they have to chase us"


CHATS: dict[str, str] = {}  # consent card id → the chat it was posted in (where Teams sends its answer from)


async def offered(
    teams: TeamsApp, command: str = "export csv", *, sender: Any = ALICE, story: bool = True
) -> tuple[str, dict[str, Any]]:
    """The consent card's activity id and its attachment, after asking for an export in the channel."""
    if story:
        await teams.post(message(STORY, teams.service_url))
    teams.connector.clear()
    await teams.post(message(command, teams.service_url, sender=sender))
    for call in teams.connector.posts():
        found = attachments(call, CONSENT)
        if found:
            CHATS[call.posted_id] = call.conversation_id
            return call.posted_id, found[0]
    raise AssertionError("no file consent card was sent")


def answer(
    teams: TeamsApp,
    card_id: str,
    consent: dict[str, Any],
    action: str,
    *,
    sender: Any = ALICE,
    url: str | None = None,
    chat: str | None = None,
) -> dict[str, Any]:
    """The ``fileConsent/invoke`` Teams sends when the card is answered, from the chat the card is in
    (``chat``: from another one)."""
    value = {
        "type": "fileUpload",
        "action": action,
        "context": consent["content"]["acceptContext" if action == "accept" else "declineContext"],
    }
    if action == "accept":
        value["uploadInfo"] = {
            "contentUrl": "https://contoso.sharepoint.com/personal/alice/Documents/Applications/customer-moment.csv",
            "name": consent["name"],
            "uploadUrl": url or f"{teams.service_url}upload/{consent['name']}",
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
            "fileType": "csv",
        }
    activity = base(
        "invoke",
        teams.service_url,
        where="personal",
        sender=sender,
        tenant="72f988bf-86f1-41af-91ab-2d7cd011db47",
        name="fileConsent/invoke",
        value=value,
        replyToId=card_id,
    )
    activity["conversation"]["id"] = chat or CHATS[card_id]
    return activity


async def test_accepting_uploads_the_export_and_shows_the_file_card(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    teams.connector.clear()
    response = await teams.post(answer(teams, card_id, consent, "accept"))
    assert response.status == 200
    uploaded = teams.connector.uploads[consent["name"]].decode("utf-8")
    assert uploaded.startswith("id,") and "late parcel" in uploaded
    (update,) = teams.connector.updates(card_id)
    (info,) = attachments(update, INFO)
    assert info["name"] == consent["name"] and info["content"]["fileType"] == "csv"


async def test_declining_says_so_on_the_card(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    teams.connector.clear()
    response = await teams.post(answer(teams, card_id, consent, "decline"))
    assert response.status == 200
    assert "didn't save the file" in content(teams.connector.updates(card_id)[0])
    assert teams.connector.uploads == {}


async def test_an_upload_url_that_is_not_http_is_not_used(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    await teams.post(answer(teams, card_id, consent, "accept", url="file:///etc/passwd"))
    assert "didn't save the file" in content(teams.connector.updates(card_id)[-1])


async def test_a_refused_upload_is_reported(teams: TeamsApp) -> None:
    card_id, consent = await offered(teams)
    await teams.post(answer(teams, card_id, consent, "accept", url=f"{teams.service_url}v3/nowhere"))
    assert "couldn't save the file" in content(teams.connector.updates(card_id)[-1])


async def test_the_export_runs_again_with_the_acceptor_s_permissions_of_now(teams: TeamsApp) -> None:
    await teams.post(message("help", teams.service_url))  # Alice arrives first: the workspace's admin
    await teams.post(message("managers add @Bob", teams.service_url, mentioned=(BOB,)))
    card_id, consent = await offered(teams, sender=BOB)
    await teams.post(message("managers remove @Bob", teams.service_url, mentioned=(BOB,)))
    await teams.post(answer(teams, card_id, consent, "accept", sender=BOB))
    assert teams.connector.uploads == {}
    assert "Only managers" in content(teams.connector.updates(card_id)[-1])


async def test_a_json_export_is_offered_too(teams: TeamsApp) -> None:
    _, consent = await offered(teams, "export json")
    assert consent["name"].endswith(".json")
