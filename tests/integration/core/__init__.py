"""The core through its front door, `CustomerMoment.handle`, on SQLite and PostgreSQL.

Small helpers shared by these tests: send an event, read what came back, look at the database.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select

from adapters.runtime import Runtime
from bot.events import Incoming
from bot.replies import Audience, Card, Reply
from bot.storage.models import Base

T = TypeVar("T")


async def ask(runtime: Runtime, incoming: Incoming) -> list[Reply]:
    replies = await runtime.core.handle(incoming)
    assert replies, f"no reply to {incoming}"
    return replies


def card_text(card: Card) -> str:
    lines = [card.title]
    for section in card.sections:
        lines += [section.heading, section.text]
    lines += [f"{fact.label}: {fact.value}" for fact in card.facts]
    lines += [f"[{button.label}]" for button in card.buttons]
    lines.append(card.note)
    return "\n".join(line for line in lines if line)


def text(replies: list[Reply]) -> str:
    """Everything the replies say, cards and form titles included, as one string."""
    parts: list[str] = []
    for reply in replies:
        parts.append(reply.text)
        if reply.card is not None:
            parts.append(card_text(reply.card))
        if reply.form is not None:
            parts.append(f"form:{reply.form.form_id}")
        parts += reply.errors.values()
    return "\n".join(part for part in parts if part)


def only(replies: list[Reply], audience: Audience) -> list[Reply]:
    return [reply for reply in replies if reply.audience is audience]


def dms(replies: list[Reply]) -> dict[str, str]:
    """Direct messages by the external id they go to."""
    found: dict[str, str] = {}
    for reply in only(replies, Audience.DIRECT):
        assert reply.to_member is not None
        found[reply.to_member] = text([reply])
    return found


async def rows(runtime: Runtime, model: type[T], *where: Any, order_by: Any = None) -> list[T]:
    async with runtime.sessions() as session:
        query = select(model).where(*where)
        if order_by is not None:
            query = query.order_by(order_by)
        return list(await session.scalars(query))


async def one(runtime: Runtime, model: type[T], *where: Any) -> T:
    found = await rows(runtime, model, *where)
    assert len(found) == 1, found
    return found[0]


async def count(runtime: Runtime, model: type[Any], *where: Any) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def table_counts(runtime: Runtime) -> dict[str, int]:
    """Rows in every table: compare before and after to prove nothing was written."""
    async with runtime.sessions() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }
