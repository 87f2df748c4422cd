"""Where each reply goes in Teams: the thread, the channel, a member's 1:1 chat, or the card that was pressed.

Teams has no ephemeral messages. Replies meant for the person who acted are answered where they
asked (as Teams bots do), except those the core marked as not for everyone present (``Reply.visible_to``:
a person's own items, stats, review queues): in a channel, group chat or meeting chat those go to the
person's 1:1 chat with the bot, with a note in the thread that names nothing of them, and never to the
channel, the thread or a card there. Files always go to the 1:1 chat, the only place the Bot APIs can
hand over a file. A card action updates its card in place: the agenda card shows its new state, a used
form or review item turns into its outcome, and a form with problems is shown again with the values and
the problems next to the fields — in the person's own 1:1 chat: a form shown again holds what they typed,
which no one else in a channel, group chat or meeting chat may see, so there it goes to their 1:1 chat
(where submitting it acts in the conversation it came from, see ``origins.py``) with a note in the thread
that names nothing of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands import AGENDA_CARD_ACTIONS, DECIDING_ACTIONS
from bot.replies import Audience, Reply, Visibility, agenda_key, say

logger = logging.getLogger(__name__)

PRIVATE_NOTE = "I've sent that to you in our 1:1 chat."
FILE_NOTE = "I've sent the file to you in our 1:1 chat."
FORM_NOTE = "I've sent the form back to you in our 1:1 chat to fix."
FORM_RETRY_NOTE = "I've sent the form back to you in our 1:1 chat to try again."

HERE = "here"  # the conversation (thread) the person wrote in
CHANNEL = "channel"  # a new post in a team's channel or group chat
MEMBER = "member"  # a member's 1:1 chat with the bot
PRIVATE = "private"  # the acting person's 1:1 chat with the bot
UPDATE = "update"  # a message posted earlier, by its reference
PRESSED = "pressed"  # the card whose button or form was just used
FILE = "file"  # a file offered in the acting person's 1:1 chat
DROP = "drop"  # nowhere to go (a direct reply naming no one); kept so steps line up with replies


@dataclass(frozen=True, slots=True)
class Situation:
    """What the replies answer. ``kind`` is personal, groupChat, channel or proactive (no one acted)."""

    kind: str
    channel_id: str | None = None
    actor_id: str | None = None
    action: str | None = None
    action_value: str = ""
    form_id: str | None = None
    pressed: bool = False  # the incoming came from a card whose activity id is known

    @property
    def shared(self) -> bool:
        return self.kind in ("channel", "groupChat")

    @property
    def pressed_key(self) -> str | None:
        """The message key of the agenda card whose button was pressed, if one was."""
        value = self.action_value.strip()
        if self.action not in AGENDA_CARD_ACTIONS or not (value.isascii() and value.isdigit()):
            return None
        return agenda_key(int(value))


@dataclass(frozen=True, slots=True)
class Step:
    target: str
    reply: Reply
    mode: str = "reply"  # see adapters.teams.outgoing.render
    channel_id: str | None = None
    member_id: str | None = None
    note_for: str | None = None  # a note in the thread about replies sent to this target


def _private(reply: Reply, situation: Situation) -> bool:
    """Not for everyone in the conversation it answers (anywhere but the person's own 1:1 chat): marked so
    by the core, or a form to show again with what the person typed."""
    if situation.kind == "personal":
        return False
    return reply.visible_to is not Visibility.CHANNEL or reply.retry_form is not None


def _pressed_mode(reply: Reply, situation: Situation) -> str | None:
    """How a reply replaces the pressed card, or None when it should not."""
    if reply.message is not None:
        pressed = situation.pressed_key
        return "reply" if pressed is not None and reply.message.key == pressed else None
    if reply.audience is not Audience.EPHEMERAL or reply.attachment is not None or _private(reply, situation):
        return None
    if situation.form_id is not None:
        if reply.retry_form is not None:
            return "reshow"
        return "outcome" if reply.form is None else "reply"
    if situation.action in DECIDING_ACTIONS:  # a review card is used up once decided
        if reply.outcome.failed:
            return None
        return "reply" if reply.form is not None else "outcome"
    return None


def route(replies: Sequence[Reply], situation: Situation) -> list[Step]:
    """One step per reply (plus a note in the thread when something went to the 1:1 chat)."""
    steps: list[Step] = []
    pressed_used = not situation.pressed
    for reply in replies:
        if reply.audience is Audience.DIRECT:
            if not reply.to_member:
                logger.warning("a direct reply without a member was dropped")
                steps.append(Step(DROP, reply))
            elif reply.to_member == situation.actor_id and situation.kind == "personal":
                steps.append(Step(HERE, reply))
            else:
                steps.append(Step(MEMBER, reply, member_id=reply.to_member))
            continue
        if reply.attachment is not None:
            steps.append(Step(HERE if situation.kind == "personal" else FILE, reply))
            continue
        if _private(reply, situation):  # wherever else it was headed, it goes to the asker alone
            if situation.actor_id is None:
                logger.warning("a reply not for everyone, with no one who asked, was dropped")
                steps.append(Step(DROP, reply))
            else:
                steps.append(Step(PRIVATE, reply, mode="reshow" if reply.retry_form is not None else "reply"))
            continue
        if reply.message is not None and reply.message.ref:
            steps.append(Step(UPDATE, reply))
            continue
        if not pressed_used:
            mode = _pressed_mode(reply, situation)
            if mode is not None:
                steps.append(Step(PRESSED, reply, mode=mode))
                pressed_used = True
                continue
        if reply.audience is Audience.CHANNEL or situation.kind == "proactive":
            target = reply.to_team or situation.channel_id
            steps.append(Step(CHANNEL, reply, channel_id=target) if target else Step(HERE, reply))
            continue
        steps.append(Step(HERE, reply, mode="reshow" if reply.retry_form is not None else "reply"))
    if situation.kind != "proactive" and situation.shared:
        forms = [s.reply for s in steps if s.target == PRIVATE and s.reply.retry_form is not None]
        if any(s.target == PRIVATE and s.reply.retry_form is None for s in steps):
            steps.append(Step(HERE, say(PRIVATE_NOTE), note_for=PRIVATE))
        if forms:
            note = FORM_RETRY_NOTE if all(r.outcome.failed for r in forms) else FORM_NOTE
            steps.append(Step(HERE, say(note), note_for=PRIVATE))
        if any(s.target == FILE for s in steps):
            steps.append(Step(HERE, say(FILE_NOTE), note_for=FILE))
    return steps
