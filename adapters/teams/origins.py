"""Where a form sent back to someone's 1:1 chat acts: the shared conversation it was first submitted in.

A form shown again with what someone typed is for that person alone, so in a channel, group chat or
meeting chat it goes to their 1:1 chat with the bot (see ``routing.py``). Submitted there, it must act
as if it were submitted where it started: the card's submit data carries that conversation
(:class:`Origin`), signed with the server key (:meth:`adapters.teams.files.Consents.seal`) and bound to
the person, the tenant, the 1:1 chat it was sent to, the form and an expiry. A submission whose origin
is altered, forged, someone else's, from another chat or tenant, or expired is refused before anything
of it is stored.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.teams.activities import PLATFORM, JsonDict, text_of
from adapters.teams.files import Consents
from adapters.teams.turn import Turn
from bot.events import Place

KEY = "origin"  # the submit data's entry that carries it
PURPOSE = "customer-moment/teams/form-origin/v1"
SHARED_KINDS = ("channel", "groupChat")
_STRINGS = ("tenant", "person", "conversation", "kind", "channelId", "channelName", "rosterId", "form", "context")

REFUSED = "I can't use this form any more. Open it again in the conversation you started in and fill it in there."
EXPIRED = "This form has expired. Open it again in the conversation you started in and fill it in there."


class Refusal(enum.Enum):
    """Why an origin is not acted on (logged by name)."""

    UNSIGNED = "unsigned or altered"
    EXPIRED = "expired"
    ELSEWHERE = "submitted in another conversation or tenant, or for another form"
    SOMEONE_ELSE = "submitted by someone else"

    @property
    def told(self) -> str:
        return EXPIRED if self is Refusal.EXPIRED else REFUSED


@dataclass(frozen=True, slots=True)
class Shared:
    """The shared conversation a turn happened in, as far as a re-shown form needs it."""

    kind: str  # channel or groupChat
    channel_id: str  # the core's team id (a channel without its thread, or the group chat)
    channel_name: str
    meeting: bool
    roster_id: str  # whose members a people field offers

    def place(self, tenant: str) -> Place:
        return Place(
            platform=PLATFORM,
            workspace_id=tenant,
            channel_id=self.channel_id,
            channel_name=self.channel_name,
            direct=False,
            meeting=self.meeting,
        )


def shared_of(turn: Turn) -> Shared | None:
    """The turn's conversation, when it is shared (a channel, group chat or meeting chat)."""
    if turn.kind not in SHARED_KINDS or not turn.place.channel_id:
        return None
    return Shared(
        kind=turn.kind,
        channel_id=turn.place.channel_id,
        channel_name=turn.place.channel_name,
        meeting=turn.place.meeting,
        roster_id=turn.roster_id or turn.place.channel_id,
    )


@dataclass(frozen=True, slots=True)
class Origin:
    """One re-shown form's origin: whose it is, the 1:1 chat it was sent to, and where it acts."""

    tenant: str
    person: str  # the Teams account (29:…) of the person, as a submission's ``from.id`` names them
    conversation: str  # the 1:1 chat the form was sent to
    shared: Shared
    form: str  # the form's id and context, as the card submits them
    context: str
    expires: int  # Unix time after which a submission is refused

    def fields(self) -> JsonDict:
        return {
            "tenant": self.tenant,
            "person": self.person,
            "conversation": self.conversation,
            "kind": self.shared.kind,
            "channelId": self.shared.channel_id,
            "channelName": self.shared.channel_name,
            "meeting": self.shared.meeting,
            "rosterId": self.shared.roster_id,
            "form": self.form,
            "context": self.context,
            "expires": self.expires,
        }


def sign(
    consents: Consents, *, tenant: str, person: str, conversation: str, shared: Shared, form: str, context: str
) -> JsonDict:
    """What a re-shown form's submit data carries under :data:`KEY`: the origin and its signature."""
    origin = Origin(
        tenant=tenant,
        person=person,
        conversation=conversation,
        shared=shared,
        form=form,
        context=context,
        expires=consents.expiry(),
    )
    return consents.seal(origin.fields(), purpose=PURPOSE)


def carried(turn: Turn) -> object | None:
    """What a card submission carries as its origin (unchecked), or None when it carries none."""
    value = turn.activity.get("value")
    if turn.submitted is None or turn.submitted.form_id is None or not isinstance(value, Mapping):
        return None
    return value.get(KEY)


def read(consents: Consents, turn: Turn, raw: object) -> Origin | Refusal:
    """The origin a submission carries, if it is unaltered, current, and submitted by the person it was sent
    to, in the 1:1 chat it was sent to, for the form it was sent with."""
    if not isinstance(raw, Mapping):
        return Refusal.UNSIGNED
    fields: dict[str, Any] = {name: raw.get(name) for name in (*_STRINGS, "meeting", "expires")}
    expires = fields["expires"]
    if (
        not all(isinstance(fields[name], str) for name in _STRINGS)
        or not isinstance(fields["meeting"], bool)
        or not isinstance(expires, int)
        or isinstance(expires, bool)
        or fields["kind"] not in SHARED_KINDS
        or not fields["channelId"]
        or not consents.unaltered(raw, fields, purpose=PURPOSE)
    ):
        return Refusal.UNSIGNED
    if consents.expired(expires):
        return Refusal.EXPIRED
    submitted = turn.submitted
    if (
        turn.kind != "personal"
        or fields["tenant"] != turn.place.workspace_id
        or fields["conversation"] != turn.conversation_id
        or submitted is None
        or fields["form"] != submitted.form_id
        or fields["context"] != submitted.context
    ):
        return Refusal.ELSEWHERE
    if fields["person"] != text_of(turn.sender, "id"):
        return Refusal.SOMEONE_ELSE
    return Origin(
        tenant=fields["tenant"],
        person=fields["person"],
        conversation=fields["conversation"],
        shared=Shared(
            kind=fields["kind"],
            channel_id=fields["channelId"],
            channel_name=fields["channelName"],
            meeting=fields["meeting"],
            roster_id=fields["rosterId"],
        ),
        form=fields["form"],
        context=fields["context"],
        expires=expires,
    )
