"""The console chat: the `/moment` grammar typed in a terminal, as a demo team on the embedded database."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from adapters.console.render import reply_text
from bot.core import CustomerMoment
from bot.events import Incoming, Person, Place
from bot.replies import Form, Reply

logger = logging.getLogger(__name__)

PLACE = Place(
    platform="console",
    workspace_id="demo",
    workspace_name="Demo workspace",
    channel_id="support",
    channel_name="#support",
)
DEMO_PEOPLE = (Person("alice", "alice"), Person("bob", "bob"), Person("carol", "carol"))
DEMO_ZONE = "Europe/Berlin"

WELCOME = """Customer Moment console — the demo team #support (Europe/Berlin) with @alice, @bob and @carol.
You are @{actor}. Type `help` for commands, `as @name` to act as someone else, `quit` to leave."""


class ConsoleChat:
    def __init__(self, *, core: CustomerMoment, out: TextIO, interactive: bool, actor: str) -> None:
        self._core = core
        self._out = out
        self._interactive = interactive
        self.actor = actor

    def write(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    async def line(self, text: str) -> None:
        text = text.strip()
        if not text or text.startswith("#!"):
            return
        lowered = text.lower()
        if lowered.startswith("as "):
            self.actor = text[3:].strip().lstrip("@").lower() or self.actor
            self.write(f"You are now @{self.actor}.")
            return
        if lowered in ("whoami", "who am i"):
            self.write(f"You are @{self.actor}.")
            return
        await self.deliver(await self._core.handle(self.incoming(text=text)))

    def incoming(self, **kwargs: Any) -> Incoming:
        return Incoming(place=PLACE, actor=Person(self.actor, self.actor), **kwargs)

    async def deliver(self, replies: list[Reply]) -> None:
        for reply in replies:
            if reply.form is not None:
                await self.fill(reply.form)
                continue
            if reply.attachment is not None:
                path = await asyncio.to_thread(_save, reply.attachment.filename, reply.attachment.content)
                self.write(f"{reply.text} Saved to {path}")
                continue
            self.write(reply_text(reply, channel=PLACE.channel_name))

    async def fill(self, form: Form) -> None:
        if not self._interactive:
            self.write(f"“{form.title}” is a form; in a script use the one-line form (see `help`).")
            return
        self.write(f"{form.title} — press Enter to leave a field empty.")
        values: dict[str, Any] = {}
        for field in form.fields:
            options = f" ({', '.join(o.value for o in field.options)})" if field.options else ""
            required = " *" if field.required else ""
            answer = (await asyncio.to_thread(input, f"{field.label}{options}{required}: ")).strip()
            if field.kind == "multiselect" or field.kind == "people":
                values[field.name] = [a.strip() for a in answer.split(",") if a.strip()]
            elif field.kind == "checkbox":
                values[field.name] = answer.lower() in ("y", "yes", "true", "1")
            else:
                values[field.name] = answer
        await self.deliver(
            await self._core.handle(self.incoming(form_id=form.form_id, form_values=values, form_context=form.context))
        )


def _save(filename: str, content: str) -> Path:
    path = Path(filename).resolve()
    path.write_text(content, encoding="utf-8")
    return path


async def run_console(
    core: CustomerMoment, *, actor: str = "alice", stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    """Chat with ``core`` as the demo team until the input ends or someone types ``quit``."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    await core.introduce(PLACE, DEMO_PEOPLE, zone=DEMO_ZONE)
    chat = ConsoleChat(core=core, out=out, interactive=stdin.isatty(), actor=actor.lstrip("@"))
    if chat._interactive:
        chat.write(WELCOME.format(actor=chat.actor))
    while True:
        if chat._interactive:
            try:
                text = await asyncio.to_thread(input, f"@{chat.actor}> ")
            except EOFError:
                break
        else:
            text = await asyncio.to_thread(stdin.readline)
            if not text:
                break
        if text.strip().lower() in ("quit", "exit"):
            break
        await chat.line(text)
    return 0
