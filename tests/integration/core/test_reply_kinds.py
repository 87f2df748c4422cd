"""A reply says what it is: how the request went, who may see it, and the form to show again after a failed one.

Surfaces read these fields; none of them compares a reply's text with the core's wording.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from adapters.runtime import Runtime
from bot import forms
from bot.core import BROKEN, UNAVAILABLE
from bot.events import Incoming
from bot.replies import Outcome, Reply, Visibility
from tests.integration.core import ask
from tests.support.events import pressed, said, submitted

STORY = "story The parcel was lost twice | rang the depot | relieved | own the problem"


async def test_what_went_through_is_ok_and_for_everyone_present(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, said(STORY))
    assert (reply.outcome, reply.visible_to, reply.retry_form) == (Outcome.OK, Visibility.CHANNEL, None)


@pytest.mark.parametrize(
    "incoming",
    [said("dance now"), said("approve twelve"), pressed("agenda.swap", "99999"), said("timezone Mars/Olympus")],
    ids=["unknown-command", "bad-number", "no-such-item", "bad-zone"],
)
async def test_refusals_say_so_and_offer_no_form(runtime: Runtime, incoming: Incoming) -> None:
    await ask(runtime, said("help"))
    (reply,) = await ask(runtime, incoming)
    assert reply.outcome is Outcome.REFUSED and not reply.outcome.failed
    assert reply.retry_form is None


async def test_a_submitted_form_with_problems_comes_back_with_them(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, submitted("story", {"situation": "A parcel went missing"}))
    assert reply.outcome is Outcome.REFUSED
    assert "lesson" in reply.errors
    assert reply.retry_form is forms.STORY


async def test_the_reason_form_comes_back_for_the_same_item(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, submitted("reject", {"reason": " "}, context="7"))
    assert reply.retry_form is not None and reply.retry_form.form_id == "reject"
    assert reply.retry_form.context == "7"


async def test_a_form_that_no_longer_exists_is_refused_without_a_form(runtime: Runtime) -> None:
    (reply,) = await ask(runtime, submitted("survey", {"q": "a"}))
    assert reply.outcome is Outcome.REFUSED and reply.retry_form is None


@pytest.mark.parametrize(
    ("error", "wording", "outcome"),
    [
        (OperationalError("SELECT 1", {}, ConnectionRefusedError()), UNAVAILABLE, Outcome.UNAVAILABLE),
        (RuntimeError("a bug"), BROKEN, Outcome.FAILED),
    ],
    ids=["database-down", "bug"],
)
async def test_failures_say_so_and_keep_the_submitted_form(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, error: Exception, wording: str, outcome: Outcome
) -> None:
    async def failing(_ctx: object) -> list[Reply]:
        raise error

    monkeypatch.setattr(runtime.core, "_route", failing)
    (command,) = await runtime.core.handle(said(STORY))
    assert (command.text, command.outcome, command.retry_form) == (wording, outcome, None)
    assert command.outcome.failed
    (form,) = await runtime.core.handle(submitted("shoutout", {"reason": "x"}))
    assert (form.outcome, form.retry_form) == (outcome, forms.SHOUTOUT)


async def test_a_review_queue_is_for_managers_only(runtime: Runtime) -> None:
    (empty,) = await ask(runtime, said("review"))
    assert empty.visible_to is Visibility.CHANNEL
    await ask(runtime, said("review on"))
    await ask(runtime, said(STORY, actor="bob"))
    queue = await ask(runtime, said("review"))
    assert len(queue) == 2 and queue[1].card is not None
    assert all(reply.visible_to is Visibility.MANAGERS for reply in queue)
