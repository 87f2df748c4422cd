"""A shout-out's channel announcement is keyed and kept true of the shout-out: taken down in place while it
waits for review again, shown again in place once approved."""

from __future__ import annotations

from adapters.runtime import Runtime
from bot.replies import Audience, Reply
from bot.storage.models import Moment
from tests.integration.core import ask, one, text
from tests.support.events import said, submitted

REASON = "stayed on the call until the refund went through"


def announcements(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.message is not None and r.message.key.startswith("shoutout:")]


async def posted(runtime: Runtime, replies: list[Reply], ref: dict[str, str]) -> None:
    """What a surface does after delivering: remember where the keyed messages went."""
    refs = [ref if r.message is not None else None for r in replies]
    await runtime.core.remember_posts(platform="console", workspace_id="acme", replies=replies, refs=refs)


async def test_an_edit_that_goes_back_to_review_takes_the_announcement_down_until_approved(runtime: Runtime) -> None:
    await ask(runtime, said("help"))  # alice: the workspace's admin
    await ask(runtime, said("help", actor="carol"))
    given = await ask(runtime, said(f"shoutout @carol {REASON}", actor="bob"))
    (first,) = announcements(given)
    assert first.audience is Audience.CHANNEL and first.message is not None and first.message.ref is None
    await posted(runtime, given, {"ts": "1.1"})
    shoutout = await one(runtime, Moment, Moment.kind == "shoutout")
    assert shoutout.post_ref == {"ts": "1.1"}
    await ask(runtime, said("review on"))

    edited = await ask(
        runtime,
        submitted("shoutout", {"reason": REASON + " again", "private": False}, actor="bob", context=str(shoutout.id)),
    )

    (down,) = announcements(edited)
    assert down.message is not None and down.message.ref == {"ts": "1.1"}
    assert REASON not in text([down]) and "carol" not in text([down]) and "no longer shown" in text([down])
    assert "I took its announcement out of" in edited[0].text and "waits for review" in edited[0].text

    approved = await ask(runtime, said(f"approve {shoutout.id}"))

    (again,) = announcements(approved)
    assert again.message is not None and again.message.ref == {"ts": "1.1"}
    assert REASON + " again" in text([again]) and "bob recognises carol" in text([again])
