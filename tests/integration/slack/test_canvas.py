"""The Customer Moment section in the Slack channel canvas, written by the scheduler through the real surface.

Commands go through the real HTTP server; the scheduler runs passes on the fake clock; the fake Slack
Web API keeps the canvas with its sections, so each test reads it back as a person in the channel would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.runtime import Runtime
from bot.scheduler.dispatcher import Dispatcher
from tests.integration.slack.driver import SlackDriver, all_text
from tests.support.clock import FakeClock

# The clock starts on Monday 23 Nov 2026, 09:00 UTC; the weekly meeting is Tuesday 10:00 Berlin (09:00 UTC).
MEETING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POST = MEETING - timedelta(minutes=30)
PEOPLE_ABOVE = "# Weekly support sync\nAgenda: queue health, then *escalations*."
PEOPLE_BELOW = "## Notes\nBring the churn numbers."


async def no_sleep(_seconds: float) -> None:
    return None


def scheduler(runtime: Runtime, slack: SlackDriver, clock: FakeClock) -> Dispatcher:
    return Dispatcher(
        sessions=runtime.sessions, surfaces={"slack": slack.surface}, clock=clock, worker="w1", sleep=no_sleep
    )


async def set_up(slack: SlackDriver, *, canvas: bool = True) -> None:
    await slack.command("story Parcel lost twice in transit | Rebooked it with tracking | Call the customer first")
    await slack.command("story Invoice showed the wrong fees | Fixed it and explained | Check invoices twice")
    if canvas:
        answer = await slack.command("canvas on")
        assert "I'll keep a Customer Moment section" in slack.said(answer)
    scheduled = await slack.command("schedule weekly tue 10:00 Europe/Berlin lead 30m")
    assert "Scheduled" in slack.said(scheduled)


def told(slack: SlackDriver) -> list[str]:
    """What the bot told U1 (the admin) in a direct message about the canvas."""
    texts = [str(m["text"]) + all_text(m["blocks"]) for m in slack.fake.posted("DU1")]
    return [text for text in texts if "canvas" in text]


def writes(slack: SlackDriver) -> int:
    return len(slack.fake.calls_to("canvases.edit")) + len(slack.fake.calls_to("conversations.canvases.create"))


async def test_a_scheduled_card_is_posted_and_the_canvas_shows_its_moment(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    await set_up(slack)
    clock.now = POST
    tally = await scheduler(runtime, slack, clock).run_once()
    assert tally.posted == 1
    card = all_text(slack.fake.posted("C1")[-1]["blocks"])
    text = slack.fake.canvas_text("C1")
    assert text.startswith("## Customer Moment")
    assert "Next meeting: Tue 24 Nov 10:00 CET" in text
    featured = "Parcel lost twice" if "Parcel lost twice" in card else "Invoice showed the wrong fees"
    assert featured in text and "Why this one:" in text
    assert len(slack.fake.calls_to("conversations.canvases.create")) == 1


async def test_people_text_stays_and_a_swap_replaces_only_the_section(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    slack.fake.people_write("C1", PEOPLE_ABOVE)
    await set_up(slack)
    worker = scheduler(runtime, slack, clock)
    clock.now = POST
    await worker.run_once()
    slack.fake.people_write("C1", PEOPLE_BELOW)
    before = slack.fake.canvas_text("C1")
    assert before.startswith(PEOPLE_ABOVE) and before.endswith(PEOPLE_BELOW)
    first = "Parcel lost twice" if "Parcel lost twice" in before else "Invoice showed the wrong fees"
    other = "Invoice showed the wrong fees" if first == "Parcel lost twice" else "Parcel lost twice"

    await slack.command("swap")
    clock.advance(timedelta(minutes=1))
    await worker.run_once()
    after = slack.fake.canvas_text("C1")
    assert after.startswith(PEOPLE_ABOVE) and after.endswith(PEOPLE_BELOW)
    assert other in after and first not in after
    assert after.count("## Customer Moment") == 1
    added, replaced = slack.fake.calls_to("canvases.edit")
    assert [added.params["changes"][0]["operation"], replaced.params["changes"][0]["operation"]] == [
        "insert_at_end",
        "replace",
    ]


async def test_a_burst_of_changes_is_one_canvas_write_a_minute(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    await set_up(slack)
    worker = scheduler(runtime, slack, clock)
    clock.now = POST
    await worker.run_once()
    assert writes(slack) == 1
    for _ in range(2):
        await slack.command("swap")
    await slack.command("skip")
    await worker.run_once()
    clock.advance(timedelta(seconds=59))
    await worker.run_once()
    assert writes(slack) == 1  # still within the minute of the last write
    clock.advance(timedelta(seconds=1))
    await worker.run_once()
    await worker.run_once()
    assert writes(slack) == 2
    assert "No moment is planned yet." in slack.fake.canvas_text("C1")  # the skip, the last change, is shown
    clock.advance(timedelta(minutes=5))
    await worker.run_once()
    assert writes(slack) == 2  # nothing changed since


async def test_a_plan_without_canvases_tells_the_managers_once_and_cards_still_post(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    slack.fake.no_canvas_plan.add("T1")
    await set_up(slack)
    worker = scheduler(runtime, slack, clock)
    clock.now = POST
    tally = await worker.run_once()
    assert tally.posted == 1 and len(slack.fake.posted("C1")) == 1
    [note] = told(slack)
    assert "plan has no channel canvases" in note
    await slack.command("swap")
    clock.advance(timedelta(minutes=2))
    await worker.run_once()
    assert len(slack.fake.calls_to("conversations.canvases.create")) == 2  # tried again at the change
    assert len(told(slack)) == 1  # but told only once
    assert slack.fake.canvas_text("C1") == ""


async def test_a_missing_scope_is_told_with_what_to_do(runtime: Runtime, slack: SlackDriver, clock: FakeClock) -> None:
    await set_up(slack)
    slack.fake.fail("conversations.info", "missing_scope")
    clock.now = POST
    assert (await scheduler(runtime, slack, clock).run_once()).posted == 1
    [note] = told(slack)
    assert "reinstall the app" in note


async def test_a_deleted_section_is_written_again_at_the_end(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    slack.fake.people_write("C1", PEOPLE_ABOVE)
    await set_up(slack)
    worker = scheduler(runtime, slack, clock)
    clock.now = POST
    await worker.run_once()
    slack.fake.people_write("C1", PEOPLE_BELOW)
    slack.fake.delete_section("C1", "Customer Moment")
    assert "Customer Moment" not in slack.fake.canvas_text("C1")
    await slack.command("swap")
    clock.advance(timedelta(minutes=1))
    await worker.run_once()
    text = slack.fake.canvas_text("C1")
    assert text.startswith(f"{PEOPLE_ABOVE}\n{PEOPLE_BELOW}\n## Customer Moment")
    operations = [call.params["changes"][0]["operation"] for call in slack.fake.calls_to("canvases.edit")]
    assert operations == ["insert_at_end", "insert_at_end"]  # on the people's canvas, then again once deleted
    assert told(slack) == []  # nothing for the managers to do


async def test_a_deleted_canvas_is_made_again(runtime: Runtime, slack: SlackDriver, clock: FakeClock) -> None:
    await set_up(slack)
    worker = scheduler(runtime, slack, clock)
    clock.now = POST
    await worker.run_once()
    slack.fake.delete_canvas("C1")
    await slack.command("skip")
    clock.advance(timedelta(minutes=1))
    await worker.run_once()
    assert "No moment is planned yet." in slack.fake.canvas_text("C1")
    assert len(slack.fake.calls_to("conversations.canvases.create")) == 2


async def test_rate_limits_put_the_write_off_without_losing_it(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    await set_up(slack)
    slack.fake.fail("conversations.info", "ratelimited", status=429, retry_after=0, times=3)
    worker = scheduler(runtime, slack, clock)
    clock.now = POST
    assert (await worker.run_once()).posted == 1
    assert slack.fake.canvas_text("C1") == "" and told(slack) == []
    clock.advance(timedelta(minutes=1))
    await worker.run_once()
    assert slack.fake.canvas_text("C1").startswith("## Customer Moment")


async def test_canvas_off_stops_the_writes_and_members_may_not_switch_it(
    runtime: Runtime, slack: SlackDriver, clock: FakeClock
) -> None:
    await set_up(slack)
    refused = await slack.command("canvas off", user="U2")
    assert "Only managers" in slack.said(refused)
    await slack.command("canvas off")
    clock.now = POST
    assert (await scheduler(runtime, slack, clock).run_once()).posted == 1
    assert writes(slack) == 0 and slack.fake.calls_to("conversations.info") == []
