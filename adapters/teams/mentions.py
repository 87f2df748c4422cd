"""The command line of a Teams message: the bot's @mention stripped, people's @mentions turned into tokens.

Teams sends ``<at>Name</at>`` in ``text`` and, for each real mention, an entity of type ``mention``
whose ``mentioned.id`` is the person's conversation id (``29:…``). Only entities count: ``<at>``
typed by hand is just text. Each real mention becomes ``@<member id>`` and is listed in
``Incoming.people``, so the core never guesses who was meant. Another bot or app (``28:…``) is listed
as one (``Standing.BOT``), so that the core can refuse to recognise it.

A channel (or a team, meaning its General channel) can be @mentioned too: its ``mentioned.id`` is a
conversation id (``19:…@thread…``). Such a mention is the channel, written as the core reads a
channel: ``#<its shown name>`` (``#Support Team › Support``), or ``#<the name in the mention>`` when
the shown name is not known.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adapters.teams.activities import Activity, is_bot_account, person_of, section, text_of
from bot.events import Person, Standing

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\u00a0\u200b]+")


@dataclass(frozen=True, slots=True)
class Mention:
    account_id: str  # the conversation member id Teams sent (29:…)
    name: str
    text: str  # the markup in the message, e.g. "<at>Bob</at>"
    person: Person | None  # known when the entity carried an Entra object id
    channel: bool = False  # a channel or team was mentioned, not a person


def is_conversation_id(account_id: str) -> bool:
    """Whether a mentioned id is a channel's or team's (``19:…@thread.tacv2``) rather than a person's."""
    return account_id.startswith("19:") and "@thread" in account_id


def is_other_bot(account_id: str) -> bool:
    """Whether a mentioned id is a bot's or app's (``28:…``): never a person to recognise or tell."""
    return account_id.startswith("28:")


def mentions(activity: Activity) -> list[Mention]:
    """People and channels mentioned in the message (not the bot), one per mention entity, in order."""
    found: list[Mention] = []
    for entity in activity.get("entities") or ():
        if not isinstance(entity, Mapping) or text_of(entity, "type").lower() != "mention":
            continue
        mentioned = section(entity, "mentioned")
        account_id = text_of(mentioned, "id")
        if not account_id or is_bot_account(activity, mentioned):
            continue
        name = text_of(mentioned, "name")
        markup = text_of(entity, "text") or f"<at>{name}</at>"
        if is_conversation_id(account_id):
            found.append(Mention(account_id, name, markup, None, channel=True))
        elif is_other_bot(account_id):
            bot = Person(external_id=account_id, name=" ".join(name.split())[:120] or account_id, standing=Standing.BOT)
            found.append(Mention(account_id, name, markup, bot))
        else:
            found.append(Mention(account_id, name, markup, person_of(mentioned)))
    return found


def _bot_markups(activity: Activity) -> list[tuple[str, str]]:
    markups = []
    for entity in activity.get("entities") or ():
        if isinstance(entity, Mapping) and text_of(entity, "type").lower() == "mention":
            mentioned = section(entity, "mentioned")
            if is_bot_account(activity, mentioned):
                name = text_of(mentioned, "name")
                markups.append((text_of(entity, "text") or f"<at>{name}</at>", f"<at>{name}</at>"))
    return markups


def _replace_once(text: str, candidates: tuple[str, ...], new: str) -> str:
    """Replace the first candidate markup found (Teams is not always consistent about an ``@`` inside)."""
    for old in candidates:
        if old and old in text:
            return text.replace(old, new, 1)
    return text


def _token(mention: Mention, person: Person | None, index: int) -> str:
    if person is not None:
        return f"@{person.external_id}"
    # Nobody to name: keep something readable that the core reports as unknown.
    label = "_".join(mention.name.split())[:60]
    return f"@{label or f'person{index}'}"


def _channel_token(mention: Mention, shown_name: str) -> str:
    name = " ".join((shown_name or mention.name).split()).lstrip("#")
    return f"#{name[:200]}" if name else "#channel"


def command_text(
    activity: Activity,
    directory: Mapping[str, Person],
    found: Sequence[Mention] | None = None,
    *,
    channels: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, Person]]:
    """The command line and the people its tokens name.

    ``directory`` maps mention account ids (``29:…``) to people the caller resolved from the roster;
    mentions it does not know fall back to an Entra id carried in the entity itself. ``channels`` maps
    mentioned channel ids to their shown names, where known. ``found``: the activity's :func:`mentions`,
    when the caller has read them already.
    """
    text = text_of(activity, "text")
    for markup, plain in _bot_markups(activity):
        text = _replace_once(text, (markup, plain), " ")
    people: dict[str, Person] = {}
    for index, mention in enumerate(mentions(activity) if found is None else found, 1):
        if mention.channel:
            token = _channel_token(mention, (channels or {}).get(mention.account_id, ""))
            text = _replace_once(text, (mention.text, f"<at>{mention.name}</at>"), f" {token} ")
            continue
        # A bot is a bot whoever the roster says it is; a person is who the roster says, else the mention.
        bot = is_other_bot(mention.account_id)
        person = mention.person if bot else directory.get(mention.account_id) or mention.person
        token = _token(mention, person, index)
        if person is not None:
            people[token] = person
        text = _replace_once(text, (mention.text, f"<at>{mention.name}</at>"), f" {token} ")
    return tidy(text), people


def tidy(text: str) -> str:
    """Undo Teams' HTML entities and fold runs of spaces, keeping line breaks."""
    text = html.unescape(text.replace("&nbsp;", " "))
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()
