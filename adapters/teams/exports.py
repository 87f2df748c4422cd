"""Finishing an export in Teams: the person answered the file consent card in their 1:1 chat.

On "Allow" the export command the card was offered for runs again — as the person who answers, with
the core's permission checks — and the fresh file goes to the upload URL Teams opened in their
OneDrive; the consent card then becomes the file card. On "Decline" it says so.

The answer comes back from the person's client, so nothing in it is taken on trust: the card's
context must carry the server's signature (:class:`adapters.teams.files.Consents`), be answered in the
chat it was sent to, by the person it was sent to, and name an export; the upload URL must be a
Microsoft upload host (:func:`adapters.teams.files.upload_allowed`). Anything else is refused before
anything runs or any connection is opened, and the person is told why.

An offer is answered once. The first answer whose card context passes those checks, Allow or Decline,
claims the offer (:class:`bot.ports.OneTimeClaims`, in the database, so it holds across every server
process) before anything else happens; a second answer — the button pressed again, or the same invoke
replayed — runs and uploads nothing, leaves the card as the first answer made it, and tells the person to
ask for the export again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from adapters.teams import files
from adapters.teams.activities import PLATFORM, Activity, actor_of, section, text_of, workspace_id
from adapters.teams.files import Consents, Offer, Refusal
from adapters.teams.outbox import Connectors
from adapters.teams.outgoing import message, outcome_card
from bot import commands
from bot.core import CustomerMoment
from bot.events import Incoming, Place
from bot.log_safety import error_kind
from bot.ports import OneTimeClaims

logger = logging.getLogger(__name__)

Upload = Callable[[str, bytes], Awaitable[None]]

EXPORT_COMMAND = "export"
DECLINED = "Okay, I didn't save the file."
NOT_SAVED = "I couldn't save the file to your OneDrive. Please ask for the export again."
BAD_ADDRESS = (
    "I didn't save the file: its upload address is not a OneDrive or SharePoint one. Please ask for the export again."
)
AGAIN = "Please ask for the export again."
TOLD = {
    Refusal.UNSIGNED: f"I can't use this file offer, so I didn't run anything. {AGAIN}",
    Refusal.EXPIRED: f"This file offer has expired, so I didn't run anything. {AGAIN}",
    Refusal.ELSEWHERE: "This file offer belongs to another chat, so I didn't run anything. Use the card in the chat "
    "it was sent to, or ask for the export again.",
    Refusal.SOMEONE_ELSE: "This file offer was made to someone else, so I didn't run anything. Only they can save "
    "it; managers can ask for an export of their own.",
    Refusal.NOT_EXPORT: f"This file offer is not for an export, so I didn't run anything. {AGAIN}",
    Refusal.ANSWERED: "This file offer was already answered, so I didn't run anything. To get a new one, ask for "
    "the export again.",
}
UNCHECKED = f"I couldn't check this file offer just now, so I didn't run anything. {AGAIN}"


def check(offer: Offer | Refusal, activity: Activity) -> Offer | Refusal:
    """The offer, when this answer is the one it was made for: same tenant and chat, same person, an export."""
    if isinstance(offer, Refusal):
        return offer
    conversation = text_of(section(activity, "conversation"), "id")
    if offer.tenant != workspace_id(activity) or not conversation or offer.conversation != conversation:
        return Refusal.ELSEWHERE
    person = text_of(section(activity, "from"), "id")
    if not person or offer.person != person:
        return Refusal.SOMEONE_ELSE
    try:
        if commands.parse(offer.command).name != EXPORT_COMMAND:
            return Refusal.NOT_EXPORT
    except ValueError:  # not a command at all (the core's UsageError)
        return Refusal.NOT_EXPORT
    return offer


class Exports:
    def __init__(
        self,
        *,
        core: CustomerMoment,
        upload: Upload,
        allow_http_uploads: bool,
        consents: Consents,
        claims: OneTimeClaims,
    ) -> None:
        """``allow_http_uploads``: only with authentication off (local tests), and only to this machine;
        ``consents``: signs the consent cards' context and reads it back; ``claims``: where an answered
        offer is recorded, once for every server process."""
        self._core = core
        self._upload = upload
        self._allow_http_uploads = allow_http_uploads
        self._consents = consents
        self._claims = claims

    async def answer(self, activity: Activity, connectors: Connectors, *, accepted: bool) -> None:
        """The person answered a file consent card: run the export again and upload it, or let it go."""
        value = activity.get("value")
        conversation_id = text_of(section(activity, "conversation"), "id")
        tenant = workspace_id(activity)
        connector = await connectors(text_of(activity, "serviceUrl"))
        offer = check(self._consents.read(value), activity)
        if not isinstance(offer, Refusal):
            try:
                first = await self._claims.claim(offer.claim_key, until=datetime.fromtimestamp(offer.expires, UTC))
            except Exception as exc:  # not known to be unanswered: run nothing, leave the card as it is
                logger.error("teams: file offer in %s not claimed: %s", tenant, error_kind(exc))
                await connector.send(conversation_id, message(UNCHECKED))
                return
            if not first:
                offer = Refusal.ANSWERED
        if isinstance(offer, Refusal):
            # The card it names may not be this offer's, or shows what the first answer did: nothing is
            # updated, the person is told here.
            logger.warning(
                "teams: file consent answer %s in %s refused: %s", text_of(activity, "id")[:80], tenant, offer.name
            )
            await connector.send(conversation_id, message(TOLD[offer]))
            return
        card_id = text_of(activity, "replyToId")

        async def show(content: dict[str, Any]) -> None:
            if card_id:
                await connector.update(conversation_id, card_id, content)
            else:
                await connector.send(conversation_id, content)

        if not accepted:
            await show(outcome_card("Export", DECLINED))
            return
        actor = actor_of(activity)
        info = files.upload_info(value)
        url = text_of(info, "uploadUrl")
        if actor is None:
            await show(outcome_card("Export", NOT_SAVED))
            return
        if not files.upload_allowed(url, local_http=self._allow_http_uploads):
            logger.warning("teams: export upload for %s in %s refused: address not allowed", actor.external_id, tenant)
            await show(outcome_card("Export", BAD_ADDRESS))
            return
        place = Place(
            platform=PLATFORM,
            workspace_id=tenant,
            channel_id=offer.channel_id or None,
            channel_name=offer.channel_name,
            direct=not offer.channel_id,
        )
        replies = await self._core.handle(Incoming(place=place, actor=actor, text=offer.command))
        exported = next((r for r in replies if r.attachment is not None), None)
        if exported is None or exported.attachment is None:
            await show(message("\n".join(r.text for r in replies if r.text) or NOT_SAVED))
            return
        try:
            await self._upload(url, exported.attachment.content.encode("utf-8"))
        except Exception as exc:  # OneDrive refused or was unreachable: say so, nothing else to undo
            logger.warning("teams: export upload for %s failed: %s", actor.external_id, error_kind(exc))
            await show(outcome_card("Export", NOT_SAVED))
            return
        await show(files.info_activity(info))
        logger.info("teams: export uploaded for %s in %s", actor.external_id, tenant)
