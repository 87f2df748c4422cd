"""The schedule form's "Follow my calendar": a calendar that cannot be followed keeps the form, told on its field."""

from __future__ import annotations

import json

import pytest

from adapters.runtime import Runtime
from bot.replies import Outcome
from bot.storage.models import CalendarFeed, MeetingSeries
from tests.integration.calendars.conftest import LUNCH, FeedServer, weekly_feed
from tests.integration.core import ask, count
from tests.integration.slack.conftest import fake_slack, slack  # noqa: F401  (the Slack server and its fake)
from tests.integration.slack.driver import SlackDriver
from tests.support.events import submitted

VALUES = {"repeat": "calendar", "time": "10:00", "zone": "Europe/Berlin", "lead": "30m"}


@pytest.mark.parametrize(
    ("feed_value", "match", "body", "field", "problem"),
    [
        ("", "", None, "feed", "Paste the calendar's feed address here"),
        ("https://10.0.0.8/feed.ics", "", None, "feed", "private network"),
        (None, "", b"<html><body>Sign in</body></html>", "feed", "did not answer with a calendar"),
        (None, "", weekly_feed(extra=LUNCH), "match", "Type words from your meeting's title here"),
        (None, "standup", weekly_feed(extra=LUNCH), "match", "No event in that calendar has “standup”"),
    ],
    ids=["no address", "private address", "html page", "several events", "no such title"],
)
async def test_a_calendar_the_form_cannot_follow_keeps_the_form_and_says_what_to_fix_on_its_field(
    runtime: Runtime, feed: FeedServer, feed_value: str | None, match: str, body: bytes | None, field: str, problem: str
) -> None:
    if body is not None:
        feed.body = body
    values = {**VALUES, "feed": feed.url if feed_value is None else feed_value, "match": match}
    (reply,) = await ask(runtime, submitted("schedule", values))
    assert reply.outcome is Outcome.REFUSED and reply.retry_form is not None
    assert reply.retry_form.form_id == "schedule"
    assert problem in reply.errors[field], reply.errors
    said = " ".join([reply.text, *reply.errors.values()])
    assert "Usage:" not in said and "Send the same command" not in said and "`match" not in said
    assert "private-5f3c9a0b7e" not in said
    assert await count(runtime, MeetingSeries) == 0 and await count(runtime, CalendarFeed) == 0


async def test_the_form_lists_the_calendars_events_where_the_title_goes(runtime: Runtime, feed: FeedServer) -> None:
    feed.body = weekly_feed(extra=LUNCH)
    (reply,) = await ask(runtime, submitted("schedule", {**VALUES, "feed": feed.url}))
    assert "• Lunch & Learn\n• Support team weekly" in reply.errors["match"]


async def test_in_slack_the_schedule_modal_stays_open_with_the_calendars_problem_on_its_field(
    runtime: Runtime,
    slack: SlackDriver,  # noqa: F811
    feed: FeedServer,
) -> None:
    feed.body = weekly_feed(extra=LUNCH)
    await slack.command("schedule")
    view = slack.opened_view()
    status, answer = await slack.submit(
        view, {"repeat": "calendar", "time": "10:00", "zone": "Europe/Berlin", "lead": "30m", "feed": feed.url}
    )
    assert status == 200 and answer["response_action"] == "errors", answer
    assert set(answer["errors"]) == {"match"} and "Support team weekly" in answer["errors"]["match"]
    assert "private-5f3c9a0b7e" not in json.dumps(answer)
    assert await count(runtime, MeetingSeries) == 0
    assert not slack.fake.calls_to("chat.postMessage")  # nothing said in the channel, the address least of all
