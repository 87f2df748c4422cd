"""The console chat: the `/moment` grammar typed in a terminal, as a demo team on the embedded database."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from adapters.console.clock import ClockError, parse_duration
from adapters.console.render import reply_text
from adapters.console.surface import ConsoleSurface
from adapters.console.timeline import Timeline
from bot.core import CustomerMoment
from bot.events import Incoming, Person, Place
from bot.replies import Audience, Form, FormField, Reply

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
You are @{actor}. Type `help` for commands, `as @name` to act as someone else, `quit` to leave.
`clock` shows the time; with --now, `wait 1d 2h` moves it and the scheduler posts what falls due."""


class ConsoleChat:
    def __init__(
        self,
        *,
        core: CustomerMoment,
        out: TextIO,
        interactive: bool,
        actor: str,
        surface: ConsoleSurface | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        self._core = core
        self._out = out
        self._interactive = interactive
        self.actor = actor
        self._surface = surface
        self._timeline = timeline

    def write(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    async def line(self, text: str) -> None:
        text = text.strip()
        if not text or text.startswith("#!"):
            return
        lowered = text.lower()
        if lowered.startswith("as "):
            self.actor = text[3:].strip().lstrip("@").lower() or self.actor
            await self._core.introduce(PLACE, (Person(self.actor, self.actor),))  # a member others can name
            self.write(f"You are now @{self.actor}.")
            return
        if lowered in ("whoami", "who am i"):
            self.write(f"You are @{self.actor}.")
            return
        if self._timeline is not None and lowered == "clock":
            await self._timeline.show_clock()
            return
        if self._timeline is not None and (lowered == "wait" or lowered.startswith("wait ")):
            try:
                duration = parse_duration(text[4:])
            except ClockError as exc:
                self.write(str(exc))
                return
            await self._timeline.wait(duration)
            return
        await self.deliver(await self._core.handle(self.incoming(text=text)))

    def incoming(self, **kwargs: Any) -> Incoming:
        return Incoming(place=PLACE, actor=Person(self.actor, self.actor), **kwargs)

    async def deliver(self, replies: list[Reply]) -> None:
        refs: list[Any] = []
        for reply in replies:
            refs.append(None)
            if reply.form is not None:
                await self.fill(reply.form)
                continue
            if reply.attachment is not None:
                path = await asyncio.to_thread(_save, reply.attachment.filename, reply.attachment.content)
                self.write(f"{reply.text} Saved to {path}")
                continue
            channel = reply.to_team or PLACE.channel_id
            if reply.audience is Audience.CHANNEL and self._surface is not None and channel:
                # Through the surface, so that a card posted earlier is updated (and said to be) in place.
                refs[-1], text = self._surface.channel_post(reply, channel)
                self.write(text)
                continue
            self.write(reply_text(reply, channel=PLACE.channel_name))
        await self._core.remember_posts(
            platform=PLACE.platform, workspace_id=PLACE.workspace_id, replies=replies, refs=refs
        )

    async def fill(self, form: Form) -> None:
        """Ask for each field; when the core finds problems, ask again for those fields only.

        Enter keeps what a field holds (empty, or what is stored when editing); ``/cancel`` or end of
        input leaves the form without sending anything.
        """
        if not self._interactive:
            self.write(f"“{form.title}” is a form; in a script use the one-line form (see `help`).")
            return
        self.write(f"{form.title} — Enter keeps a field as shown; {CANCEL} leaves the form.")
        values: dict[str, Any] = {f.name: _initial(f) for f in form.fields}
        asking = list(form.fields)
        while True:
            for field in asking:
                answer = await self._ask(field, values[field.name])
                if answer is None:
                    self.write(f"Left “{form.title}”; nothing was sent.")
                    return
                values[field.name] = answer
            incoming = self.incoming(form_id=form.form_id, form_values=dict(values), form_context=form.context)
            replies = await self._core.handle(incoming)
            problems = {name: problem for r in replies for name, problem in r.errors.items()}
            asking = [f for f in form.fields if f.name in problems]
            if not asking:
                await self.deliver(replies)
                return
            for field in asking:
                self.write(f"  {field.label}: {problems[field.name]}")

    async def _ask(self, field: FormField, current: Any) -> Any:
        """One field's answer (None: the person left the form)."""
        options = f" ({', '.join(o.value for o in field.options)})" if field.options else ""
        required = " *" if field.required else ""
        shown = _shown(current)
        prompt = f"{field.label}{options}{required}" + (f" [{shown}]" if shown else "") + ": "
        try:
            answer = (await asyncio.to_thread(input, prompt)).strip()
        except EOFError:
            return None
        if answer.lower() == CANCEL:
            return None
        if not answer:
            return current
        if field.kind in ("multiselect", "people"):
            return [a.strip() for a in answer.split(",") if a.strip()]
        if field.kind == "checkbox":
            return answer.lower() in ("y", "yes", "true", "1")
        return answer


CANCEL = "/cancel"


def _initial(field: FormField) -> Any:
    if field.kind in ("multiselect", "people"):
        return list(field.initial) if isinstance(field.initial, tuple | list) else []
    if field.kind == "checkbox":
        return field.initial is True
    return field.initial if isinstance(field.initial, str) else ""


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value or "")
    return text if len(text) <= 60 else text[:59] + "…"


def _save(filename: str, content: str) -> Path:
    path = Path(filename).resolve()
    path.write_text(content, encoding="utf-8")
    return path


async def run_console(
    core: CustomerMoment,
    *,
    actor: str = "alice",
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    surface: ConsoleSurface | None = None,
    timeline: Timeline | None = None,
) -> int:
    """Chat with ``core`` as the demo team until the input ends or someone types ``quit``; with a
    ``timeline``, the scheduler posts through ``surface`` what falls due meanwhile."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    await core.introduce(PLACE, DEMO_PEOPLE, zone=DEMO_ZONE)
    chat = ConsoleChat(
        core=core,
        out=out,
        interactive=stdin.isatty(),
        actor=actor.lstrip("@"),
        surface=surface,
        timeline=timeline,
    )
    if chat._interactive:
        chat.write(WELCOME.format(actor=chat.actor))
    if timeline is not None:
        timeline.start()
    try:
        return await _chat(chat, stdin)
    finally:
        if timeline is not None:
            await timeline.close()


async def _chat(chat: ConsoleChat, stdin: TextIO) -> int:
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
