"""Every reason the rotation gives is true of the pool it picked from, and says which rule passed over an item
that waited longer: checked on examples and on any pool."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.rotation import FRESH, KIND_NAMES, Candidate, Recent, choose

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KINDS = ("story", "shoutout", "exercise")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def item(
    moment_id: int,
    kind: str = "story",
    *,
    people: tuple[int, ...] = (),
    times: int = 0,
    last_days: float | None = None,
    age_days: float = 60,
    library: bool = False,
) -> Candidate:
    return Candidate(
        moment_id=moment_id,
        kind=kind,
        people=frozenset(people),
        times_featured=times,
        last_featured_at=NOW - timedelta(days=last_days) if last_days is not None else None,
        created_at=NOW - timedelta(days=age_days),
        library=library,
    )


def reason_of(candidates: list[Candidate], recent: list[Recent]) -> tuple[Candidate, str]:
    choice = choose(candidates, recent, seed="s", now=NOW)
    assert choice is not None
    (best,) = [c for c in candidates if c.moment_id == choice.moment_id]
    return best, choice.reason


# --- examples -------------------------------------------------------------------------------------


def test_a_repeat_that_did_not_wait_longest_does_not_say_it_did_and_says_what_passed_the_other_over() -> None:
    by_ann = item(1, people=(1,), times=1, last_days=90)
    by_ben = item(2, people=(2,), times=1, last_days=30)
    best, reason = reason_of([by_ann, by_ben], [Recent("story", frozenset({1}))])
    assert best is by_ben
    assert "waited longest" not in reason
    assert reason == (
        "Everything has been featured at least once; this one was last on 24 Oct 2026 and not the people featured"
        " last time."
    )


def test_a_repeat_picked_for_fewer_featurings_says_so() -> None:
    twice = item(1, times=2, last_days=200)
    once = item(2, times=1, last_days=20)
    best, reason = reason_of([twice, once], [])
    assert best is once
    assert reason.endswith("this one was last on 3 Nov 2026 and featured fewer times.")


def test_a_newer_item_picked_for_variety_says_so() -> None:
    old_story = item(1, "story", age_days=200)
    newer_shoutout = item(2, "shoutout", age_days=100)  # not fresh any more
    best, reason = reason_of([old_story, newer_shoutout], [Recent("story", frozenset({5}))])
    assert best is newer_shoutout
    assert reason == "Never featured yet; waiting since 15 Aug 2026 and a different kind from last time."


def test_an_exercise_picked_over_new_items_held_back_for_different_rules_names_both() -> None:
    story_by_ann = item(1, "story", people=(3,))  # a third story in a row
    shoutout_about_ben = item(2, "shoutout", people=(2,), age_days=40)  # ben was featured last time
    library = item(3, "exercise", library=True)
    best, reason = reason_of(
        [story_by_ann, shoutout_about_ben, library], [Recent("story", frozenset({2})), Recent("story", frozenset({4}))]
    )
    assert best is library
    assert reason == (
        "Picked an exercise so the same people are not featured two meetings running and for variety: the last 2"
        " moments were stories."
    )


def test_an_exercise_picked_over_a_team_exercise_that_repeats_last_times_people_does_not_claim_variety() -> None:
    team_exercise_by_ann = item(1, "exercise", people=(1,))
    library = item(2, "exercise", library=True)
    recent = [Recent("exercise", frozenset({1})), Recent("exercise", frozenset({3}))]
    best, reason = reason_of([team_exercise_by_ann, library], recent)
    assert best is library
    assert reason == "Picked an exercise so the same people are not featured two meetings running."


# --- any pool -------------------------------------------------------------------------------------

people_sets = st.frozensets(st.integers(1, 5), max_size=2)
candidates = st.builds(
    lambda kind, people, times, last, age, library: (kind, people, times, last, age, library),
    st.sampled_from(KINDS),
    people_sets,
    st.integers(0, 3),
    st.integers(0, 400),
    st.integers(0, 400),
    st.booleans(),
)
recents = st.lists(st.builds(Recent, kind=st.sampled_from(KINDS), people=people_sets), max_size=3)


def _pool(raw: list[tuple[str, frozenset[int], int, int, int, bool]]) -> list[Candidate]:
    pool = []
    for n, (kind, people, times, last, age, library) in enumerate(raw, start=1):
        if library:
            kind, people = "exercise", frozenset()
        pool.append(
            item(
                n,
                kind,
                people=tuple(people),
                times=times,
                last_days=last if times else None,
                age_days=age,
                library=library,
            )
        )
    return pool


def _day(at: datetime) -> str:
    return at.strftime("%-d %b %Y")


@settings(max_examples=600, deadline=None)
@given(st.lists(candidates, min_size=1, max_size=8), recents)
def test_every_reason_is_true_of_the_pool(
    raw: list[tuple[str, frozenset[int], int, int, int, bool]], recent: list[Recent]
) -> None:
    pool = _pool(raw)
    best, reason = reason_of(pool, recent)
    others = [c for c in pool if c is not best]
    last = recent[0].people if recent else frozenset()
    new_team = [c for c in others if not c.library and c.times_featured == 0]
    streak = recent[0].kind if len(recent) >= 2 and recent[0].kind == recent[1].kind else None

    if reason.startswith("Everything has been featured at least once"):
        assert all(c.times_featured > 0 for c in pool)
        assert f"last on {_day(best.last_featured_at or EPOCH)}" in reason
    if "has waited longest" in reason:
        assert all((best.last_featured_at or EPOCH) <= (c.last_featured_at or EPOCH) for c in others)
    if reason.startswith("The team's pool has nothing new"):
        assert best.library and best.times_featured == 0 and not new_team
    if reason.startswith("For variety"):
        assert best.library and streak not in (None, best.kind) and all(c.kind == streak for c in new_team)
    if reason.startswith("Picked an exercise so the same people are not featured"):
        assert best.library and any(c.people & last for c in new_team)
        if reason.endswith("two meetings running."):
            assert all(c.people & last for c in new_team)
    if reason.startswith("A fresh shout-out"):
        assert best.kind == "shoutout" and best.times_featured == 0 and NOW - best.created_at <= FRESH
    if reason.startswith("Never featured yet"):
        assert best.times_featured == 0 and not best.library
        assert reason.startswith(f"Never featured yet; waiting since {_day(best.created_at)}")
        if reason == f"Never featured yet; waiting since {_day(best.created_at)}.":
            assert not [c for c in new_team if c.created_at < best.created_at]  # it waited longest
    if "not the people featured last time" in reason or "same people are not featured" in reason:
        assert any(c.people & last for c in others)
    if "not the people featured last time" in reason:
        assert not best.people & last
    found = re.search(r"the last 2 moments were (\w[\w-]*)", reason)
    if found is not None:
        assert streak is not None and KIND_NAMES[streak] == found.group(1) and best.kind != streak
    if "a different kind from last time" in reason:
        assert recent and best.kind != recent[0].kind
    if "featured fewer times" in reason:
        assert any(c.times_featured > best.times_featured for c in others)
    if "the team's own" in reason:
        assert not best.library and any(c.library for c in others)
