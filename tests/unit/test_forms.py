"""A submitted form is found again by its id (and, for the reason form, the item it is about)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import forms


def test_a_submitted_form_is_found_again_by_its_id() -> None:
    assert forms.submitted_form("schedule", "") is forms.SCHEDULE
    assert forms.submitted_form("story", "anything") is forms.STORY
    rejected = forms.submitted_form("reject", "12")
    assert rejected is not None and rejected.context == "12"


def test_unknown_forms_and_unreadable_items_find_nothing() -> None:
    assert forms.submitted_form("reject", "twelve") is None
    assert forms.submitted_form("reject", "²") is None
    assert forms.submitted_form("reject", "9" * 5000) is None
    assert forms.submitted_form("unknown", "") is None


@given(st.text(max_size=40), st.text(max_size=5000))
def test_the_lookup_never_raises(form_id: str, context: str) -> None:
    found = forms.submitted_form(form_id, context)
    assert found is None or found.form_id == form_id
