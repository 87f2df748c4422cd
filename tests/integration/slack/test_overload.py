"""Graceful overload through the real HTTP server: past the wait bound, answers are shed with "busy".

While the database is held by another connection, every command's work waits in its slot; with a tiny
``ANSWER_WAIT_SECONDS`` a burst of commands overflows the slots deterministically. Every command then
gets either its real answer or the busy answer, a shed command stores nothing, the shed ones are
counted at ``/metrics``, and once the burst is over answers are normal again. Looking people up in
Slack happens before the slot: a slow ``users.info`` alone sheds nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, text

from adapters.http.foreground import Foreground
from adapters.http.inflight import FORMS, Inflight
from adapters.http.overload import BUSY
from adapters.runtime import Runtime
from adapters.slack.acknowledgement import ACK_WAIT_SECONDS, WORK_SECONDS
from adapters.slack.home import NOTICE_BLOCK
from adapters.slack.surface import CONCURRENT_WORK, web_client
from bot.storage.models import Moment
from tests.integration.faults import ACK_DEADLINE, eventually
from tests.integration.slack.conftest import TOKEN, clear_slack_tables, slack_runtime, start
from tests.integration.slack.driver import SlackDriver, all_text
from tests.support.fake_slack import FakeSlack
from tests.support.serving import METRICS_AUTH

BURST = CONCURRENT_WORK + 12  # more new people at once than there are slots for answers
SLOW_LOOKUP = 2.0  # seconds users.info takes during the burst: far longer than the wait bound
HELD = 1.5  # seconds the database is held during the burst: far longer than the wait bound
STORY = "story A parcel went to the wrong city | I rebooked it and called daily | Call before they chase us"


async def serving(runtime: Runtime, fake_slack: FakeSlack, wait: str) -> AsyncIterator[SlackDriver]:
    """The Slack surface with answers allowed to wait ``wait`` seconds for a slot, and the burst's people."""
    await clear_slack_tables(runtime)
    for n in range(BURST):
        fake_slack.add_user(f"U{100 + n}", f"Person {n}", team_id="T1", tz="Europe/Berlin")
    configured = slack_runtime(runtime, fake_slack, SLACK_BOT_TOKEN=TOKEN, ANSWER_WAIT_SECONDS=wait)
    async for driver in start(configured, fake_slack):
        yield driver


@pytest.fixture
async def slack(runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """Answers may wait 0.2 s for a slot."""
    async for driver in serving(runtime, fake_slack, "0.2"):
        yield driver


async def shed(slack: SlackDriver, kind: str) -> float:
    """``customer_moment_answers_shed_total{surface="slack",kind=…}`` as the server reports it."""
    async with slack.session.get(slack.base_url + "metrics", headers=METRICS_AUTH) as response:
        exposition = await response.text()
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "customer_moment_answers_shed_total" and sample.labels == {
                "surface": "slack",
                "kind": kind,
            }:
                return float(sample.value)
    return 0.0


async def stories(runtime: Runtime) -> int:
    """Stories people told (not the exercise library a workspace gets with its first command)."""
    async with runtime.sessions() as session:
        told = select(func.count()).select_from(Moment).where(Moment.library_key.is_(None))
        return int(await session.scalar(told) or 0)


@contextlib.asynccontextmanager
async def database_held(runtime: Runtime) -> AsyncIterator[None]:
    """Every command's work waits on the database meanwhile: another connection holds SQLite's write lock
    (which every transaction takes), or on PostgreSQL an exclusive lock on the workspaces table."""
    url = runtime.engine.url
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    async with runtime.engine.connect() as connection:
        await connection.execute(text("LOCK TABLE workspaces IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            await connection.rollback()


@contextlib.asynccontextmanager
async def every_slot_waiting(runtime: Runtime, slack: SlackDriver, held: float = HELD) -> AsyncIterator[None]:
    """Every work slot taken by a story waiting on the held database; the block runs meanwhile. The
    database stays held for ``held`` seconds after it, then the stories are told."""
    async with database_held(runtime):
        burst = [
            asyncio.create_task(slack.command(f"{STORY} {n}", user=f"U{100 + n}", settle=False))
            for n in range(CONCURRENT_WORK)
        ]

        async def slots_taken() -> bool:
            return slack.surface.inflight.working == CONCURRENT_WORK

        assert await eventually(slots_taken, within=5, every=0.01)
        yield
        await asyncio.sleep(held)
    await asyncio.gather(*burst)
    await slack.settle()


async def help_from_a_burst_while_slow(
    slack: SlackDriver, fake_slack: FakeSlack, method: str, seconds: float
) -> list[str]:
    """``help`` from a burst of people new to the bot while Slack takes ``seconds`` over each ``method``
    call; the commands' names, once all is settled."""
    await slack.command("help")
    fake_slack.slow(method, seconds)
    names = await asyncio.gather(*(slack.command("help", user=f"U{100 + n}", settle=False) for n in range(BURST)))
    await slack.settle()
    del fake_slack.delays[method]
    return list(names)


def each_got_the_real_answer(slack: SlackDriver, names: list[str]) -> None:
    assert all(slack.responses(name) for name in names), "every command gets an answer"
    assert not [name for name in names if BUSY in slack.said(name)], "none is shed"
    assert all(slack.said(name) == slack.said(names[0]) for name in names), "each the real answer"


async def test_past_the_wait_bound_commands_get_busy_store_nothing_are_counted_and_answers_recover(
    runtime: Runtime, slack: SlackDriver
) -> None:
    await slack.command("help")  # the workspace is known: what the burst waits on is its own work
    shed_before, stored_before = await shed(slack, "command"), await stories(runtime)

    async with database_held(runtime):
        burst = [
            asyncio.create_task(slack.command(f"{STORY} {n}", user=f"U{100 + n}", settle=False)) for n in range(BURST)
        ]
        await asyncio.sleep(HELD)
    names = await asyncio.gather(*burst)
    await slack.settle()

    assert all(slack.responses(name) for name in names), "every command gets an answer"
    busy = [name for name in names if BUSY in slack.said(name)]
    served = [name for name in names if BUSY not in slack.said(name)]
    assert busy, "more commands than slots, each holding its slot past the bound: some are shed"
    assert served, "the commands that got a slot are answered"
    assert all(len(slack.responses(name)) == 1 for name in busy), "a shed command gets the busy answer only"
    assert await stories(runtime) - stored_before == len(served), "a shed command stores nothing"
    assert await shed(slack, "command") - shed_before == len(busy)

    after = [await slack.command(f"{STORY} after {n}", user=f"U{100 + n}") for n in range(3)]
    assert all(slack.responses(name) and BUSY not in slack.said(name) for name in after)
    assert await stories(runtime) - stored_before == len(served) + len(after)


async def test_people_looked_up_slowly_in_slack_hold_no_slot_so_a_burst_of_new_people_is_answered(
    patient: SlackDriver, fake_slack: FakeSlack
) -> None:
    """The sender is looked up (users.info) before the work slot: Slack taking longer than the wait bound
    to answer for each of a burst of people new to the bot sheds none of their commands."""
    names = await help_from_a_burst_while_slow(patient, fake_slack, "users.info", SLOW_LOOKUP)
    each_got_the_real_answer(patient, names)


FILLED = {
    "situation": "The customer's order went to the wrong city.",
    "action": "Rebooked it and called every day.",
    "lesson": "Call before they have to chase us.",
}


async def test_past_the_wait_bound_form_submissions_stay_open_saying_busy_and_store_nothing(
    runtime: Runtime, slack: SlackDriver
) -> None:
    """Slack waits for a submission's answer, so it is answered busy in the form itself, within the bound."""
    await slack.command("story")
    view = slack.opened_view()
    shed_before, stored_before = await shed(slack, "form"), await stories(runtime)
    burst = FORMS + 8

    async with database_held(runtime):
        submitting = [asyncio.create_task(slack.submit(view, FILLED, user=f"U{100 + n}")) for n in range(burst)]
        await asyncio.sleep(HELD)
    answers = await asyncio.gather(*submitting)

    assert all(status == 200 for status, _ in answers)
    busy = [body for _, body in answers if body.get("response_action") == "errors"]
    served = [body for _, body in answers if body == {}]
    assert len(busy) + len(served) == burst
    assert busy and served, "more submissions than form slots, each holding its slot past the bound"
    assert all(body["errors"] == {"situation": BUSY} for body in busy), "busy, on the form, which stays open"
    assert await stories(runtime) - stored_before == len(served), "a shed submission stores nothing"
    assert await shed(slack, "form") - shed_before == len(busy)

    status, body = await slack.submit(view, FILLED, user="U100")
    assert (status, body) == (200, {})
    assert await stories(runtime) - stored_before == len(served) + 1


async def test_people_looked_up_slowly_hold_no_form_slot_so_a_burst_of_submissions_is_answered(
    patient: SlackDriver, fake_slack: FakeSlack
) -> None:
    """A submission's sender is looked up before its form slot: users.info taking longer than the wait bound
    for each of a burst of people new to the bot sheds none of their forms (each still answered within 3 s)."""
    slack = patient
    await slack.command("story")
    view = slack.opened_view()
    fake_slack.slow("users.info", SLOW_LOOKUP)

    answers = await asyncio.gather(*(slack.submit(view, FILLED, user=f"U{100 + n}") for n in range(FORMS + 8)))
    del fake_slack.delays["users.info"]

    assert [body for _, body in answers] == [{}] * (FORMS + 8), "every form accepted, none busy"


@pytest.fixture
async def patient(runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """Answers may wait 1 s for a slot."""
    async for driver in serving(runtime, fake_slack, "1"):
        yield driver


async def test_a_slow_round_trip_to_slack_does_not_hold_a_slot_so_a_burst_is_answered_not_shed(
    patient: SlackDriver, fake_slack: FakeSlack
) -> None:
    """A slot is held for an answer's work, not while the answer travels to Slack: a response URL that
    takes three times the wait bound to accept each answer leaves the slots free for the next commands."""
    names = await help_from_a_burst_while_slow(patient, fake_slack, "response_url", 3.0)
    each_got_the_real_answer(patient, names)


async def test_a_home_tab_slow_to_list_channels_and_publish_holds_no_slot_so_a_burst_of_visits_is_drawn(
    patient: SlackDriver, fake_slack: FakeSlack
) -> None:
    """The Home tab's channels are listed before its work slot and the tab is published after it: Slack
    taking longer than the wait bound for each call sheds none of a burst of visits."""
    slack = patient
    await slack.command("help")
    fake_slack.slow("users.conversations", SLOW_LOOKUP / 2)
    fake_slack.slow("views.publish", SLOW_LOOKUP)
    shed_before = await shed(slack, "event")

    visitors = [f"U{100 + n}" for n in range(BURST)]
    await asyncio.gather(
        *(slack.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}) for user in visitors)
    )
    await slack.settle()
    del fake_slack.delays["users.conversations"], fake_slack.delays["views.publish"]

    assert sorted(call.params["user_id"] for call in fake_slack.calls_to("views.publish")) == sorted(visitors)
    assert await shed(slack, "event") == shed_before, "none is shed"


def approvable(home: dict[str, Any]) -> list[str]:
    """The numbers of the stories a Home tab offers to approve."""
    return [
        element["value"]
        for block in home["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "review.approve"
    ]


async def test_presses_in_the_home_tab_send_their_replies_outside_their_slot_so_a_burst_is_answered(
    patient: SlackDriver, fake_slack: FakeSlack
) -> None:
    """Approving in the Home tab tells the story's author in a direct message: with Slack taking longer
    than the wait bound to post each one, a burst of approvals is neither shed nor left undrawn."""
    slack = patient
    await slack.command("review on")
    for n in range(BURST):
        await slack.command(f"{STORY} {n}", user="U2")
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    numbers = approvable(fake_slack.homes["U1"])
    assert len(numbers) >= CONCURRENT_WORK * 2
    posted_before = len(fake_slack.calls_to("chat.postMessage"))
    drawn_before = len([call for call in fake_slack.calls_to("views.publish") if call.params["user_id"] == "U1"])
    shed_before = await shed(slack, "action")
    fake_slack.slow("chat.postMessage", SLOW_LOOKUP)

    await asyncio.gather(*(slack.press("review.approve", number, in_home=True) for number in numbers))
    await slack.settle()
    del fake_slack.delays["chat.postMessage"]

    assert await shed(slack, "action") == shed_before, "none is shed"
    assert len(fake_slack.calls_to("chat.postMessage")) - posted_before == len(numbers), "each author told"
    drawn = [call for call in fake_slack.calls_to("views.publish") if call.params["user_id"] == "U1"]
    assert len(drawn) - drawn_before == len(numbers), "the tab drawn again after each press"
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    assert not set(numbers) & set(approvable(fake_slack.homes["U1"])), "every one approved"


async def test_a_shed_press_in_the_home_tab_says_busy_there_and_does_nothing(
    runtime: Runtime, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    """A press in the Home tab has no response_url: the tab the person sees is published again, with the
    busy answer as its notice and everything else as it was; the press did nothing."""
    await slack.command("review on")
    await slack.command(STORY, user="U2")
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    before = fake_slack.homes["U1"]
    [number] = approvable(before)
    shed_before = await shed(slack, "action")

    async with every_slot_waiting(runtime, slack):
        press = asyncio.create_task(slack.press("review.approve", number, in_home=True))
    await press

    assert await shed(slack, "action") == shed_before + 1
    busy = fake_slack.homes["U1"]
    [notice] = [block for block in busy["blocks"] if block.get("block_id") == NOTICE_BLOCK]
    assert BUSY in all_text(notice)
    rest = [block for block in busy["blocks"] if block.get("block_id") != NOTICE_BLOCK]
    assert rest == [block for block in before["blocks"] if block.get("block_id") != NOTICE_BLOCK], "else as it was"
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    assert number in approvable(fake_slack.homes["U1"]), "the story is still waiting for review"


async def test_a_shed_press_on_a_tab_drawn_again_since_leaves_the_newer_tab(
    runtime: Runtime, slack: SlackDriver, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The tab was drawn again between the press and its busy answer (another press, a visit): Slack refuses
    the stale one, and the newer tab stays as it is; expected, so not a warning."""
    await slack.command("review on")
    await slack.command(STORY, user="U2")
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    pressed_on = fake_slack.homes["U1"]
    [number] = approvable(pressed_on)
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    newer = fake_slack.homes["U1"]
    assert newer["hash"] != pressed_on["hash"]

    async with every_slot_waiting(runtime, slack):
        fake_slack.homes["U1"] = pressed_on  # what the press carries: the tab as it was when pressed
        press = asyncio.create_task(slack.press("review.approve", number, in_home=True))
        await asyncio.sleep(0)
        fake_slack.homes["U1"] = newer
    await press

    assert fake_slack.homes["U1"] == newer, "the newer tab stays"
    assert not [r for r in caplog.records if r.levelname == "WARNING" and "Home tab" in r.getMessage()]
    assert number in approvable(newer)


async def test_a_shed_visit_to_the_home_tab_shows_busy_there(
    runtime: Runtime, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    """A visit is a request someone waits on too: shed, the tab they see is published again with the busy
    answer as its notice; a first visit, with no tab yet, gets a tab with only its top and the notice."""
    await slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    before = fake_slack.homes["U1"]
    shed_before = await shed(slack, "event")

    async with every_slot_waiting(runtime, slack):
        visits = [
            asyncio.create_task(slack.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}))
            for user in ("U1", "U7")  # U7 has never opened it
        ]

        async def told() -> bool:
            return all(user in fake_slack.homes and BUSY in all_text(fake_slack.homes[user]) for user in ("U1", "U7"))

        assert await eventually(told, within=ACK_DEADLINE, every=0.01), "told while it is busy, within 3 s"
    await asyncio.gather(*visits)

    assert await shed(slack, "event") == shed_before + 2
    busy = fake_slack.homes["U1"]
    rest = [block for block in busy["blocks"] if block.get("block_id") != NOTICE_BLOCK]
    assert rest == [block for block in before["blocks"] if block.get("block_id") != NOTICE_BLOCK], "else as it was"
    [published] = [c for c in fake_slack.calls_to("views.publish") if c.params["user_id"] == "U1"][-1:]
    assert published.params["hash"] == before["hash"], "with the hash of the tab the visit saw"
    first = fake_slack.homes["U7"]
    assert [block["type"] for block in first["blocks"]] == ["header", "context", "actions", "section"]
    await slack.event({"type": "app_home_opened", "user": "U7", "channel": "D1", "tab": "home"})
    assert BUSY not in all_text(fake_slack.homes["U7"]), "drawn in full once it is not busy"


async def test_a_shed_message_shortcut_is_answered_busy_and_opens_nothing(
    runtime: Runtime, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    await slack.command("help")
    shed_before = await shed(slack, "shortcut")
    opened_before = len(fake_slack.calls_to("views.open"))

    async with every_slot_waiting(runtime, slack):
        shortcut = asyncio.create_task(slack.shortcut("Our parcel went to the wrong city", author="U2"))
    await shortcut

    assert await shed(slack, "shortcut") == shed_before + 1
    [answer] = [body for name, body in fake_slack.responses if name.startswith("shortcut")]
    assert BUSY in all_text(answer)
    assert len(fake_slack.calls_to("views.open")) == opened_before, "no form opened"


async def test_a_shed_direct_message_is_answered_busy_in_that_conversation_and_does_nothing(
    runtime: Runtime, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    await slack.direct_message("help")
    shed_before, stored_before = await shed(slack, "event"), await stories(runtime)

    async with every_slot_waiting(runtime, slack):
        fake_slack.reset()
        message = asyncio.create_task(slack.direct_message(STORY, user="U1", channel="DU1", event_id="EvShed"))
    await message
    await slack.settle()

    def said_in_the_conversation() -> list[str]:
        calls = fake_slack.calls_to("chat.postMessage")
        return [str(call.params.get("text")) for call in calls if call.params.get("channel") == "DU1"]

    assert said_in_the_conversation() == [BUSY], "answered busy by the time the process is idle"
    # Slack delivers it again (it saw no timely 200): one outcome per message, the busy answer already given.
    await slack.direct_message(STORY, user="U1", channel="DU1", event_id="EvShed", retry=1)

    assert await shed(slack, "event") == shed_before + 1
    assert said_in_the_conversation() == [BUSY]
    assert await stories(runtime) - stored_before == CONCURRENT_WORK, "the burst's stories, not the shed one"


async def test_a_form_whose_people_slack_is_slow_to_look_up_is_answered_within_slacks_deadline(
    runtime: Runtime, slack: SlackDriver, fake_slack: FakeSlack
) -> None:
    """Slack waits 3 s for a submission's answer: lookups that take longer give way to what the payload says."""
    await slack.command("story")
    view = slack.opened_view()
    stored_before = await stories(runtime)
    fake_slack.slow("users.info", 10.0)

    started = time.monotonic()
    status, body = await slack.submit(view, FILLED, user="U150")
    took = time.monotonic() - started
    del fake_slack.delays["users.info"]

    assert (status, body) == (200, {})
    assert took < ACK_DEADLINE, f"answered after {took:.1f} s"
    assert await stories(runtime) - stored_before == 1


async def test_a_wait_slack_asks_for_is_not_slack_being_slow(runtime: Runtime, fake_slack: FakeSlack) -> None:
    """Rate-limited (429 with Retry-After), a call waits as Slack asked without counting as Slack being slow to
    answer: one busy channel sheds nobody else's answers. After the wait it counts as waiting on Slack anew."""
    await clear_slack_tables(runtime)
    settings = slack_runtime(runtime, fake_slack, SLACK_BOT_TOKEN=TOKEN).settings
    inflight = Inflight(limit=1, foreground=Foreground(), slow_calls=1, wait=0.1)
    fake_slack.fail("chat.postMessage", "ratelimited", status=429, retry_after=1, times=1)
    async with aiohttp.ClientSession() as session:
        client = web_client(settings, session)
        client.token = TOKEN

        async def post() -> None:
            with inflight.on_slack():
                await client.chat_postMessage(channel="C1", text="Thanks, Ana!")

        posting = asyncio.create_task(post())

        async def limited() -> bool:
            return bool(fake_slack.calls_to("chat.postMessage"))

        assert await eventually(limited, within=5, every=0.01)
        await asyncio.sleep(0.3)  # three times the bound, well inside the second Slack asked to wait
        assert not inflight.congested(), "waiting as Slack asked"
        await posting
    assert len(fake_slack.calls_to("chat.postMessage")) == 2, "tried again after the wait"


async def test_a_command_that_finds_every_slot_taken_is_shed_within_its_acknowledgement(
    runtime: Runtime, patient: SlackDriver
) -> None:
    """However long answers may otherwise wait for a slot, a command waits for one only while its answer could
    still go in its acknowledgement: with every slot held longer than that, its 200 carries the busy answer,
    within the acknowledgement's own bound, nothing goes to its response URL and nothing of it is stored."""
    await patient.command("help")
    stored_before, shed_before = await stories(runtime), await shed(patient, "command")
    async with every_slot_waiting(runtime, patient):
        started = time.monotonic()
        name = await patient.command(f"{STORY} late", user="U9", settle=False)
        acknowledged = time.monotonic() - started
        assert name in patient.fake.carried and BUSY in patient.said(name), "the busy answer, in the 200"
    assert acknowledged >= ACK_WAIT_SECONDS - WORK_SECONDS - 0.05, "it waited for a slot while the 200 could"
    await patient.settle()
    assert len(patient.responses(name)) == 1, "nothing more on its response URL"
    assert await stories(runtime) - stored_before == CONCURRENT_WORK, "the slots' stories only"
    assert await shed(patient, "command") - shed_before == 1


async def test_a_command_whose_slot_frees_in_time_carries_its_answer(runtime: Runtime, patient: SlackDriver) -> None:
    """A slot that comes free while the acknowledgement can still wait is taken, and the answer goes in the 200."""
    await patient.command("help")
    async with every_slot_waiting(runtime, patient, held=0):
        waiting = asyncio.create_task(patient.command("help", user="U9", settle=False))
        await asyncio.sleep(ACK_WAIT_SECONDS / 5)
    name = await waiting
    await patient.settle()
    assert name in patient.fake.carried, "answered in its acknowledgement"
    assert len(patient.responses(name)) == 1 and BUSY not in patient.said(name)
    assert "Show what I can do" in patient.said(name), "help's answer"
