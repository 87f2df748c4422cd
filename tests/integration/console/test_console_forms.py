"""Forms in the console keep what was typed: only the fields with problems are asked again, and /cancel leaves."""

from __future__ import annotations

import builtins
import io
from collections.abc import Iterator

import pytest

from adapters.console.chat import PLACE, ConsoleChat
from adapters.runtime import Runtime
from bot.events import Person
from bot.storage.models import Moment
from tests.integration.core import count, one


class Typist:
    """Answers the console's prompts from a script, and remembers what it was asked."""

    def __init__(self, answers: list[str]) -> None:
        self._answers: Iterator[str] = iter(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        try:
            return next(self._answers)
        except StopIteration:
            raise EOFError from None


async def chat_with(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> tuple[Typist, str]:
    await runtime.core.introduce(PLACE, (Person("alice", "alice"),), zone="Europe/Berlin")
    typist = Typist(answers)
    monkeypatch.setattr(builtins, "input", typist)
    out = io.StringIO()
    chat = ConsoleChat(core=runtime.core, out=out, interactive=True, actor="alice")
    await chat.line("story")
    return typist, out.getvalue()


async def test_only_the_fields_with_problems_are_asked_again(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    first = ["The parcel was lost twice and nobody called back.", "rang the depot", "relieved", "ok", "", "", ""]
    typist, said = await chat_with(runtime, monkeypatch, [*first, "call before they have to chase us"])
    assert "The lesson is too short" in said
    assert typist.prompts[-1].startswith("What's the lesson for the team? *")
    assert len(typist.prompts) == len(first) + 1
    story = await one(runtime, Moment, Moment.kind == "story")
    assert (story.situation, story.action, story.lesson) == (
        "The parcel was lost twice and nobody called back.",
        "rang the depot",
        "call before they have to chase us",
    )


@pytest.mark.parametrize("way_out", ["/cancel", "/CANCEL"])
async def test_cancel_leaves_the_form_and_sends_nothing(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, way_out: str
) -> None:
    _, said = await chat_with(runtime, monkeypatch, ["The parcel was lost twice.", way_out])
    assert "nothing was sent" in said
    assert await count(runtime, Moment, Moment.kind == "story") == 0


async def test_quit_inside_a_form_is_an_answer_like_any_other(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = ["The customer said quit and hung up on us.", "quit", "", "call back within the hour", "", "", ""]
    await chat_with(runtime, monkeypatch, answers)
    assert (await one(runtime, Moment, Moment.kind == "story")).action == "quit"


async def test_the_end_of_input_leaves_the_form(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    _, said = await chat_with(runtime, monkeypatch, ["The parcel was lost twice."])
    assert "nothing was sent" in said
    assert await count(runtime, Moment, Moment.kind == "story") == 0


async def test_someone_you_act_as_is_a_member_others_can_name(runtime: Runtime) -> None:
    await runtime.core.introduce(PLACE, (Person("alice", "alice"),), zone="Europe/Berlin")
    out = io.StringIO()
    chat = ConsoleChat(core=runtime.core, out=out, interactive=False, actor="alice")
    await chat.line("as @dave")
    await chat.line("as @alice")
    await chat.line("managers add @dave")
    assert out.getvalue().splitlines()[-1] == "Now managers: dave"
