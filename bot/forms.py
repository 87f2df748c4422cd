"""Form definitions (story, shout-out, exercise, schedule, reject) and reading their submissions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.domain import tags as tag_vocabulary
from bot.domain.validation import MAX_REASON, MAX_TEXT, NPS_CATEGORIES, Invalid
from bot.grammar import FollowArgs
from bot.replies import Form, FormField, Option

CALENDAR = "calendar"  # the schedule form's "repeats" choice that follows a calendar feed
TAG_OPTIONS = tuple(Option(slug, label) for slug, label in tag_vocabulary.VOCABULARY.items())

STORY = Form(
    form_id="story",
    title="Share a customer story",
    submit_label="Share",
    fields=(
        FormField(
            "situation",
            "What happened?",
            "multiline",
            required=True,
            max_length=MAX_TEXT,
            hint="The customer's situation, in a few sentences. No names or contact details needed.",
        ),
        FormField("action", "What did you do?", "multiline", max_length=MAX_TEXT),
        FormField("reaction", "How did the customer react?", "multiline", max_length=MAX_TEXT),
        FormField("lesson", "What's the lesson for the team?", "multiline", required=True, max_length=MAX_TEXT),
        FormField("tags", "Tags", "multiselect", options=TAG_OPTIONS),
        FormField(
            "nps",
            "NPS category of the customer (if known)",
            "select",
            options=tuple(Option(c, c.capitalize()) for c in NPS_CATEGORIES),
        ),
        FormField("anonymous", "Share anonymously", "checkbox", initial=False),
    ),
)

SHOUTOUT = Form(
    form_id="shoutout",
    title="Give a shout-out",
    submit_label="Send",
    fields=(
        FormField("recipients", "Who?", "people", required=True),
        FormField(
            "reason",
            "What did they do, specifically?",
            "multiline",
            required=True,
            max_length=MAX_REASON,
            hint="Name the behaviour: 'called the customer back before they had to chase us'.",
        ),
        FormField("private", "Private (only they and managers see it; never featured)", "checkbox", initial=False),
    ),
)

EXERCISE = Form(
    form_id="exercise",
    title="Add a team exercise",
    submit_label="Add",
    fields=(
        FormField("title", "Title", required=True, max_length=150),
        FormField("prompt", "What will the team discuss or play?", "multiline", required=True, max_length=MAX_TEXT),
        FormField("steps", "Steps (one per line)", "multiline", max_length=MAX_TEXT),
        FormField("minutes", "Minutes", "number", initial="10"),
    ),
)

DAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)

SCHEDULE = Form(
    form_id="schedule",
    title="Schedule a meeting",
    submit_label="Schedule",
    fields=(
        FormField(
            "repeat",
            "Repeats",
            "select",
            required=True,
            initial="weekly",
            options=(
                Option("weekly", "Every week"),
                Option("biweekly", "Every two weeks"),
                Option("monthly", "Monthly (same weekday)"),
                Option(CALENDAR, "Follow my calendar (address below)"),
            ),
        ),
        # Not required by the form: "Follow my calendar" takes the day from the calendar; a typed
        # schedule without one is asked for it (bot/services/meetings.py).
        FormField(
            "day",
            "Day",
            "select",
            options=tuple(Option(k, v) for k, v in DAYS),
            hint="The meeting's day (not needed to follow a calendar)",
        ),
        FormField(
            "week",
            "Which week of the month (monthly only)",
            "select",
            initial="1st",
            options=(
                Option("1st", "First"),
                Option("2nd", "Second"),
                Option("3rd", "Third"),
                Option("4th", "Fourth"),
                Option("last", "Last"),
            ),
        ),
        FormField("time", "Time", "time", required=True, initial="10:00"),
        FormField("starts", "First meeting on or after (optional)", "date", hint="Which week a series starts"),
        FormField("zone", "Time zone", "zone", required=True),
        FormField(
            "lead",
            "Post the moment this long before",
            "select",
            initial="30m",
            options=(
                Option("0", "At the start"),
                Option("15m", "15 minutes"),
                Option("30m", "30 minutes"),
                Option("1h", "1 hour"),
                Option("2h", "2 hours"),
                Option("1d", "1 day"),
            ),
        ),
        FormField(
            "feed",
            "Calendar feed address (to follow your calendar)",
            max_length=2000,
            hint=(
                "With “Follow my calendar”, day and time come from the calendar. Google: the secret address"
                " in iCal format; Outlook: a published calendar's ICS link."
            ),
        ),
        FormField("match", "Words from the meeting's title (if the calendar has several)", max_length=200),
    ),
)


def reject_form(moment_id: int) -> Form:
    return Form(
        form_id="reject",
        title="Send back with a reason",
        submit_label="Send back",
        context=str(moment_id),
        fields=(FormField("reason", "Why? The author will see this.", "multiline", required=True, max_length=1000),),
    )


POOL_FORM_ID = "pool"
POOL_FIELD = "team"


def pool_form(options: Sequence[Option]) -> Form:
    """Pick the channel whose pool a meeting chat's meetings draw from (``options``: the person's channels)."""
    return Form(
        form_id=POOL_FORM_ID,
        title="Use a team's pool",
        fields=(
            FormField(
                POOL_FIELD,
                "Draw this chat's meetings' moments from",
                "select",
                required=True,
                options=tuple(options),
                hint="The channels you are in. Their stories then show in this chat.",
            ),
        ),
        submit_label="Use this pool",
    )


def follows_calendar(values: Mapping[str, Any]) -> bool:
    """The schedule form asks to follow a calendar rather than a typed rule."""
    return str(values.get("repeat") or "") == CALENDAR


def follow_args(values: Mapping[str, Any]) -> FollowArgs:
    """The schedule form's calendar choice as the arguments of `schedule from …`."""
    url = text_value(values, "feed").strip()
    if not url:
        raise Invalid({"feed": "Paste the calendar's feed address here to follow it."})
    return FollowArgs(url, text_value(values, "match").strip() or None, str(values.get("lead") or "") or None)


def schedule_text(values: Mapping[str, Any]) -> str:
    """Turn the schedule form into the same text the `schedule` command reads."""
    repeat = str(values.get("repeat") or "weekly")
    day = str(values.get("day") or "")
    head = f"monthly {values.get('week') or '1st'} {day}" if repeat == "monthly" else f"{repeat} {day}"
    lead = str(values.get("lead") or "30m")
    starts = str(values.get("starts") or "").strip()
    text = f"{head} {values.get('time') or ''} {values.get('zone') or ''} lead {lead}"
    return f"{text} from {starts}" if starts else text


def text_value(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def list_value(values: Mapping[str, Any], name: str) -> list[str]:
    value = values.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def flag_value(values: Mapping[str, Any], name: str) -> bool:
    value = values.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple):
        return bool(value)
    return str(value or "").strip().lower() in {"true", "yes", "y", "1", "on", name.lower()}


def prefilled(form: Form, values: Mapping[str, Any]) -> Form:
    """The same form with the named fields filled in (a new item, started from what is known already)."""
    fields = tuple(replace(f, initial=values[f.name]) if f.name in values else f for f in form.fields)
    return replace(form, fields=fields)


def filled(form: Form, values: Mapping[str, Any], *, context: str, title: str) -> Form:
    """The same form with each field filled in with what is stored, to change it (``context`` names the item)."""
    return replace(prefilled(form, values), title=title, context=context, submit_label="Save")


def story_form(moment_id: int, values: Mapping[str, Any]) -> Form:
    return filled(STORY, values, context=str(moment_id), title=f"Edit story #{moment_id}"[:24])


def shoutout_edit_form(moment_id: int, values: Mapping[str, Any]) -> Form:
    """A shout-out's words and privacy; its recipients stay as they are (recognising others is a new one)."""
    form = replace(SHOUTOUT, fields=tuple(f for f in SHOUTOUT.fields if f.name != "recipients"))
    return filled(form, values, context=str(moment_id), title=f"Edit shout-out #{moment_id}"[:24])
