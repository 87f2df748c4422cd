"""A submitted form is found again from the command table by its id (and the item it is about)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import forms
from bot.commands import form_for


def test_a_submitted_form_is_found_again_by_its_id() -> None:
    assert form_for("schedule", "") is forms.SCHEDULE
    rejected = form_for("reject", "12")
    assert rejected is not None and rejected.context == "12"


def test_unknown_forms_and_unreadable_items_find_nothing() -> None:
    assert form_for("reject", "twelve") is None
    assert form_for("reject", "²") is None
    assert form_for("reject", "9" * 5000) is None
    assert form_for("unknown", "") is None


@given(st.text(max_size=40), st.text(max_size=5000))
def test_the_lookup_never_raises(form_id: str, context: str) -> None:
    found = form_for(form_id, context)
    assert found is None or found.form_id == form_id
