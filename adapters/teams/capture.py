"""The Teams message action "Make it a Customer Moment": a chat message becomes a story or a shout-out.

Teams sends ``composeExtension/fetchTask`` when someone picks the action on a message: the core's
``capture.message`` decides the form (the story form with the message's words, or the shout-out form
for the person who wrote it), and it opens as a task module. Sending it arrives as
``composeExtension/submitAction`` with the card's inputs: the same form submission a card in the chat
makes. Problems show the task module again with the problems next to the fields; otherwise it closes
and the confirmation is posted in the conversation as any answer is.

The message arrives as ``value.messagePayload``: its HTML body (read to plain text here) and its
author (``from.user``; a message a bot wrote has ``from.application`` and names no author).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from adapters.teams import adaptive, routing
from adapters.teams.activities import PLATFORM, Activity, JsonDict, person_of, section, text_of
from adapters.teams.conversations import ConversationStore
from adapters.teams.names import ChannelNames
from adapters.teams.outbox import Connectors, Outbox, Where
from adapters.teams.roster import Directory
from adapters.teams.turn import MAX_FIELD_TEXT, Submission, Turn, read_turn, submission
from bot import commands, forms
from bot.core import CustomerMoment
from bot.events import CAPTURE_MESSAGE, MESSAGE_AUTHOR, Incoming, Person
from bot.ports import DeliveryError
from bot.replies import Form, Option, Reply

logger = logging.getLogger(__name__)

COMMAND_ID = "captureMessage"  # the command's id in the app manifest
FETCH_TASK = "composeExtension/fetchTask"
SUBMIT_ACTION = "composeExtension/submitAction"
INVOKES = frozenset({FETCH_TASK, SUBMIT_ACTION})
TITLE = "Make it a Customer Moment"
CAPTURED_FORMS = frozenset({forms.STORY.form_id, forms.SHOUTOUT.form_id})  # what the action opens

MAX_HTML = 200_000  # a Teams message is at most about 28 KB of text; anything longer is cut before reading
NOT_A_MESSAGE = "Use “Make it a Customer Moment” from the “…” menu of a message."
UNKNOWN_ACTION = "I don't know that action. Update the Customer Moment app and try again."
UNKNOWN_PERSON = "I can't tell who you are in this conversation, so I can't act on that."
GONE_FORM = "That form can't be sent any more. Use “Make it a Customer Moment” on the message again."

_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
_SKIPPED = frozenset({"script", "style"})


class _Text(HTMLParser):
    """The words of an HTML message body: tags dropped, entities unescaped, blocks on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif _emoji(tag, dict(attrs)) and not self._skipping:
            self.parts.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _emoji(tag: str, attrs: Mapping[str, str | None]) -> bool:
    """Teams writes an emoji as an element whose ``alt`` is the emoji itself."""
    return tag == "emoji" or (tag == "img" and "emoji" in (attrs.get("itemtype") or "").lower())


def plain_text(content: str, content_type: str = "html") -> str:
    """A message body as plain text (Teams sends HTML; ``text`` bodies are taken as they are)."""
    content = content[:MAX_HTML]
    if content_type.lower() == "text":
        return content
    reader = _Text()
    reader.feed(content)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    return "\n".join(line for line in lines if line)


def message_payload(activity: Activity) -> Mapping[str, Any]:
    return section(section(activity, "value"), "messagePayload")


def message_text(payload: Mapping[str, Any]) -> str:
    body = section(payload, "body")
    return plain_text(text_of(body, "content"), text_of(body, "contentType") or "html")[:MAX_FIELD_TEXT]


def author_of(payload: Mapping[str, Any]) -> Person | None:
    """The person who wrote the message, or None for a bot's message (or one naming no one)."""
    user = section(section(payload, "from"), "user")
    account = {
        "id": text_of(user, "id"),
        "name": text_of(user, "displayName"),
        "aadObjectId": text_of(user, "aadObjectId"),
    }
    return person_of(account) if user else None


def task(form_card: JsonDict) -> JsonDict:
    """The invoke answer that shows a card in the task module."""
    return {"task": {"type": "continue", "value": {"title": TITLE, "card": adaptive.attachment(form_card)}}}


def notice(text: str) -> JsonDict:
    """The invoke answer that shows a short message in place of the task module."""
    return {"task": {"type": "message", "value": text}}


def picked_people(form: Form, values: Mapping[str, Any], known: Mapping[str, Person]) -> dict[str, Person]:
    """The people chosen in a form's people fields, for those the surface knows (roster, the author)."""
    people: dict[str, Person] = {}
    for name in (f.name for f in form.fields if f.kind == "people"):
        raw = values.get(name)
        tokens = raw if isinstance(raw, list) else str(raw or "").split(",")
        for token in (str(t).strip() for t in tokens):
            if token in known:
                people[token] = known[token]
    return people


class Capture:
    """Answers the message action's two invokes."""

    def __init__(
        self, *, core: CustomerMoment, store: ConversationStore, directory: Directory, names: ChannelNames
    ) -> None:
        self._core = core
        self._store = store
        self._directory = directory
        self._names = names

    async def answer(self, activity: Activity, connectors: Connectors) -> JsonDict | None:
        """The invoke answer: a task module to show, a notice, or None (close the task module)."""
        turn = read_turn(activity)
        self._directory.note(turn.place.workspace_id, turn.sender)
        value = section(activity, "value")
        if text_of(value, "commandId") != COMMAND_ID:
            logger.info("teams: message action %r not known", text_of(value, "commandId")[:64])
            return notice(UNKNOWN_ACTION)
        if turn.actor is None:
            return notice(UNKNOWN_PERSON)
        if text_of(activity, "name") == FETCH_TASK:
            return await self._fetch(turn, turn.actor, connectors)
        # Only the submit saves anything under the channel: the form opens without waiting for its name.
        return await self._submit(await self._names.named(turn, connectors), turn.actor, connectors)

    async def _people(self, turn: Turn, connectors: Connectors, author: Person | None) -> list[Option]:
        """Whom a shout-out form offers: the conversation's roster, and always the message's author."""
        roster: list[Option] = []
        try:
            connector = await connectors(turn.service_url)
            roster = await self._directory.roster(connector, turn.lookup_in, turn.place.workspace_id)
        except (DeliveryError, ValueError) as exc:  # e.g. the bot is not in this chat: the author is still offered
            logger.warning("teams: roster of %s unavailable for a message action: %s", turn.lookup_in, exc)
        if author is not None and all(option.value != author.external_id for option in roster):
            roster.append(Option(author.external_id, author.name))
        return roster

    async def _fetch(self, turn: Turn, actor: Person, connectors: Connectors) -> JsonDict:
        payload = message_payload(turn.activity)
        if not payload:
            return notice(NOT_A_MESSAGE)
        author = author_of(payload)
        incoming = Incoming(
            place=turn.place,
            actor=actor,
            action=CAPTURE_MESSAGE,
            action_value=message_text(payload),
            people={MESSAGE_AUTHOR: author} if author is not None else {},
            ref={"activityId": text_of(turn.activity, "id")},
        )
        logger.info(
            "teams: message action by %s in %s/%s (message %s)",
            actor.external_id,
            turn.place.workspace_id,
            turn.place.channel_id or "chat",
            text_of(payload, "id")[:64],
        )
        replies = await self._core.handle(incoming)
        form = next((reply.form for reply in replies if reply.form is not None), None)
        if form is None:
            said = " ".join(reply.text for reply in replies if reply.text)
            return notice(said or NOT_A_MESSAGE)
        needs_people = any(f.kind == "people" for f in form.fields)
        people = await self._people(turn, connectors, author) if needs_people else None
        return task(adaptive.form_json(form, people=people))

    async def _submit(self, turn: Turn, actor: Person, connectors: Connectors) -> JsonDict | None:
        sent = submission(section(turn.activity, "value").get("data"))
        form = captured_form(sent)
        if sent is None or sent.form_id is None or form is None:
            return notice(GONE_FORM)
        author = author_of(message_payload(turn.activity))
        known: dict[str, Person] = {}
        if any(f.kind == "people" for f in form.fields):
            options = await self._people(turn, connectors, author)
            known = {option.value: Person(option.value, option.label) for option in options}
            if author is not None:
                known[author.external_id] = author
                known["@" + author.external_id] = author
        incoming = Incoming(
            place=turn.place,
            actor=actor,
            form_id=sent.form_id,
            form_values=sent.values,
            form_context=sent.context,
            people=picked_people(form, sent.values, known),
            ref={"activityId": text_of(turn.activity, "id")},
        )
        logger.info("teams: message action form %s sent by %s", sent.form_id, actor.external_id)
        replies = await self._core.handle(incoming)
        retry = next((reply for reply in replies if reply.retry_form is not None), None)
        others = [reply for reply in replies if reply is not retry]
        await self._post(turn, incoming, form, others, connectors)
        if retry is None or retry.retry_form is None:
            return None
        people = list(known_options(known)) if known else None
        card = adaptive.form_json(
            retry.retry_form,
            people=people,
            values=sent.values,
            errors=retry.errors,
            message="" if retry.errors else retry.text,
        )
        return task(card)

    async def _post(
        self, turn: Turn, incoming: Incoming, form: Form, replies: list[Reply], connectors: Connectors
    ) -> None:
        """The answers other than the form shown again: posted where any answer to this person goes."""
        if not replies:
            return
        situation = routing.Situation(
            kind=turn.kind, channel_id=turn.place.channel_id, actor_id=incoming.actor.external_id, form_id=form.form_id
        )
        where = Where(
            tenant=turn.place.workspace_id,
            service_url=turn.service_url,
            conversation_id=turn.conversation_id,
            channel_id=turn.place.channel_id,
            bot=turn.bot,
            actor_account=text_of(turn.sender, "id") or None,
            roster_id=turn.roster_id,
            channel_name=turn.place.channel_name,
            used_form=form,
            form_values=dict(incoming.form_values),
        )
        outbox = Outbox(where=where, connectors=connectors, store=self._store, directory=self._directory)
        refs = await outbox.send(routing.route(replies, situation))
        try:
            await self._core.remember_posts(
                platform=PLATFORM, workspace_id=turn.place.workspace_id, replies=replies, refs=refs
            )
        except Exception:  # the posts stand; a keyed card not recorded is posted anew when it next changes
            logger.exception("teams: posts of a message action in %s not recorded", turn.place.workspace_id)


def captured_form(sent: Submission | None) -> Form | None:
    """The form a task module sent, when it is one the message action opens."""
    if sent is None or sent.form_id not in CAPTURED_FORMS:
        return None
    return commands.form_for(sent.form_id, sent.context)


def known_options(known: Mapping[str, Person]) -> list[Option]:
    """The people offered again when the form is shown with its problems (each once, by name)."""
    unique = {person.external_id: person.name for person in known.values()}
    return [Option(value, label) for value, label in sorted(unique.items(), key=lambda item: item[1].lower())]
