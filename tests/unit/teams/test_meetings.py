"""Reading meeting events and details, and the in-meeting notification, as pure functions over the wire JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.connector import meeting_path
from adapters.teams.meetings import (
    RECIPIENTS_PER_CALL,
    meeting_id_of,
    message_link,
    notice_page,
    notification,
    occurrence_of,
    scheduled_start,
    this_occurrence,
)
from adapters.teams.tab import NOTICE_PATH


def test_the_scheduled_start_names_the_occurrence_to_the_minute() -> None:
    details = {"details": {"scheduledStartTime": "2026-12-08T09:00:00.0000000Z"}}
    start = scheduled_start(details)
    assert start == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert occurrence_of({"value": {"StartTime": "2026-12-08T09:03:11Z"}}, start) == "2026-12-08T09:00Z"


def test_without_details_the_day_of_the_start_names_the_occurrence() -> None:
    assert occurrence_of({"value": {"StartTime": "2026-12-08T23:59:00+00:00"}}, None) == "2026-12-08"
    assert occurrence_of({"value": {"EndTime": "2026-12-08T10:00:00Z"}}, None) == "2026-12-08"
    assert occurrence_of({"timestamp": "2026-12-09T08:00:00.123Z"}, None) == "2026-12-09"


@given(st.one_of(st.text(max_size=40), st.datetimes(timezones=st.timezones()).map(datetime.isoformat)))
def test_any_time_text_is_read_or_ignored_never_raised(text: str) -> None:
    start = scheduled_start({"details": {"scheduledStartTime": text}})
    assert start is None or start.tzinfo is UTC
    assert occurrence_of({"value": {"StartTime": text}}, None)


def test_the_meeting_id_comes_from_channel_data_only() -> None:
    assert meeting_id_of({"channelData": {"meeting": {"id": " MCMx= "}}}) == "MCMx="
    assert meeting_id_of({"channelData": {"meeting": "MCMx"}}) == ""
    assert meeting_id_of({"value": {"Id": "MCMx"}}) == ""


def test_a_meeting_id_is_one_path_segment() -> None:
    assert meeting_path("a/b+c=", "notification") == "/v1/meetings/a%2Fb%2Bc%3D/notification"


def test_the_notification_opens_the_apps_page_pointing_to_the_posted_card() -> None:
    link = message_link({"conversationId": "19:meeting_x@thread.v2", "activityId": "1700"})
    assert link == "https://teams.microsoft.com/l/message/19%3Ameeting_x%40thread.v2/1700"
    in_thread = message_link({"conversationId": "19:abc@thread.tacv2;messageid=1699", "activityId": "1700"})
    assert in_thread == "https://teams.microsoft.com/l/message/19%3Aabc%40thread.tacv2/1700?parentMessageId=1699"
    page = notice_page("https://moment.example.com", title="Call before they find out & more", link=link)
    address = urlsplit(page)
    assert (address.scheme, address.netloc, address.path) == ("https", "moment.example.com", NOTICE_PATH)
    assert parse_qs(address.query) == {"title": ["Call before they find out & more"], "link": [link]}
    body = notification([f"29:{n}" for n in range(80)], title="Call before they find out", page=page)
    assert body["type"] == "targetedMeetingNotification"
    assert len(body["value"]["recipients"]) == RECIPIENTS_PER_CALL
    (surface,) = body["value"]["surfaces"]
    assert surface["surface"] == "meetingStage" and surface["contentType"] == "task"
    shown = surface["content"]["value"]
    assert shown["url"] == page
    assert shown["title"] == "Customer Moment: Call before they find out"


def test_a_scheduled_start_far_from_when_the_meeting_started_is_another_occurrences() -> None:
    first = scheduled_start({"details": {"scheduledStartTime": "2026-11-03T09:00:00Z"}})  # the series' first
    week_later = {"value": {"StartTime": "2026-11-10T09:02:00Z"}}
    assert this_occurrence(first, week_later) is None
    assert occurrence_of(week_later, this_occurrence(first, week_later)) == "2026-11-10"
    on_time = {"value": {"StartTime": "2026-11-03T08:55:00Z"}}
    assert this_occurrence(first, on_time) == first
    ended = {"value": {"EndTime": "2026-11-03T10:30:00Z"}}
    assert this_occurrence(first, ended) == first, "an end the same morning is the same occurrence"
    assert this_occurrence(first, {"value": {}}) == first, "nothing to compare with: the details stand"
