"""Rotation rules over plain data: which moment a meeting gets, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.rotation import FRESH, Candidate, Choice, Recent, choose

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KINDS = ("story", "shoutout", "exercise")


def item(
    moment_id: int,
    kind: str = "story",
    *,
    people: tuple[int, ...] = (),
    times: int = 0,
    last: datetime | None = None,
    age_days: float = 60,
    library: bool = False,
) -> Candidate:
    return Candidate(
        moment_id=moment_id,
        kind=kind,
        people=frozenset(people),
        times_featured=times,
        last_featured_at=last,
        created_at=NOW - timedelta(days=age_days),
        library=library,
    )


def pick(candidates: list[Candidate], recent: list[Recent] | None = None, *, seed: str = "s", **kw: object) -> Choice:
    choice = choose(candidates, recent or [], seed=seed, now=NOW, **kw)  # type: ignore[arg-type]
    assert choice is not None
    return choice


def stories(*people: int) -> list[Recent]:
    """The previous meetings, most recent first, each a story by one person."""
    return [Recent("story", frozenset({p})) for p in people]


# --- rule 1: never-featured before repeats ------------------------------------------------


def test_never_featured_item_beats_an_older_item_that_was_featured_before() -> None:
    featured = item(1, age_days=300, times=1, last=NOW - timedelta(days=200))
    fresh = item(2, age_days=1)
    assert pick([featured, fresh]).moment_id == 2


def test_never_featured_item_beats_a_repeat_even_when_it_shares_last_meetings_people() -> None:
    repeat = item(1, people=(7,), times=1, last=NOW - timedelta(days=90))
    new_by_last_presenter = item(2, people=(5,))
    assert pick([repeat, new_by_last_presenter], stories(5)).moment_id == 2


def test_repeats_prefer_fewer_featurings_then_longest_wait() -> None:
    twice = item(1, times=2, last=NOW - timedelta(days=300))
    once_recently = item(2, times=1, last=NOW - timedelta(days=7))
    once_long_ago = item(3, times=1, last=NOW - timedelta(days=100))
    assert pick([twice, once_recently, once_long_ago]).moment_id == 3


# --- rule 2: the same people are not featured two meetings running --------------------------


def test_person_featured_last_meeting_is_not_featured_again_when_someone_else_is_waiting() -> None:
    by_ann_older = item(1, people=(1,), age_days=90)
    by_ben_newer = item(2, people=(2,), age_days=5)
    assert pick([by_ann_older, by_ben_newer], stories(1)).moment_id == 2


def test_shoutout_recipient_counts_as_featured_person() -> None:
    about_ann = item(1, "shoutout", people=(9, 1), age_days=3)  # given by 9 to ann (1)
    story_by_ben = item(2, people=(2,), age_days=90)
    last = [Recent("shoutout", frozenset({8, 1}))]
    assert pick([about_ann, story_by_ben], last).moment_id == 2


def test_person_rule_outranks_kind_balance() -> None:
    """Documented order: people (rule 2) before kinds (rule 3) when both cannot hold."""
    third_story_by_cat = item(1, "story", people=(3,))
    shoutout_by_last_presenter = item(2, "shoutout", people=(2, 4), age_days=30)
    assert pick([third_story_by_cat, shoutout_by_last_presenter], stories(2, 1)).moment_id == 1


def test_same_person_is_featured_again_when_nothing_else_is_new() -> None:
    only_ann = item(1, people=(1,))
    featured_ben = item(2, people=(2,), times=1, last=NOW - timedelta(days=30))
    assert pick([only_ann, featured_ben], stories(1)).moment_id == 1


# --- rule 3: no three of a kind in a row while another kind waits ---------------------------


def test_third_story_in_a_row_waits_when_a_team_exercise_is_new() -> None:
    old_story = item(1, "story", age_days=200)
    exercise = item(2, "exercise", age_days=1)
    assert pick([old_story, exercise], stories(1, 2)).moment_id == 2


def test_third_story_in_a_row_waits_when_only_a_library_exercise_is_new() -> None:
    story = item(1, "story", people=(3,))
    library = item(2, "exercise", library=True, age_days=400)
    choice = pick([story, library], stories(1, 2))
    assert choice.moment_id == 2
    assert choice.reason == "For variety: the last 2 moments were stories."


def test_two_of_a_kind_in_a_row_is_allowed_when_it_waited_longest() -> None:
    old_story = item(1, "story", age_days=200)
    newer_exercise = item(2, "exercise", age_days=1, library=True)
    assert pick([old_story, newer_exercise], stories(1)).moment_id == 1


def test_a_different_kind_from_last_time_goes_before_an_older_same_kind() -> None:
    old_story = item(1, "story", age_days=200)
    old_shoutout = item(2, "shoutout", age_days=100)  # not fresh any more
    assert pick([old_story, old_shoutout], stories(5)).moment_id == 2


# --- rule 4: team items before library exercises ---------------------------------------------


def test_team_item_beats_an_older_library_exercise() -> None:
    library = item(1, "exercise", library=True, age_days=500)
    story = item(2, "story", age_days=1)
    choice = pick([library, story])
    assert choice.moment_id == 2


def test_library_exercise_fills_in_when_the_team_has_nothing_new() -> None:
    featured_story = item(1, times=1, last=NOW - timedelta(days=30))
    library = item(2, "exercise", library=True)
    choice = pick([featured_story, library])
    assert choice.moment_id == 2
    assert (
        choice.reason
        == "The team's pool has nothing new that can be featured now, so here is an exercise from the library."
    )


def test_library_exercise_is_chosen_so_last_meetings_people_rest() -> None:
    by_ann = item(1, people=(1,))
    library = item(2, "exercise", library=True)
    choice = pick([by_ann, library], [Recent("shoutout", frozenset({1}))])
    assert choice.moment_id == 2
    assert choice.reason == "Picked an exercise so the same people are not featured two meetings running."


# --- rule 5: fresh shout-outs -----------------------------------------------------------------


def test_fresh_shoutout_goes_before_an_older_story() -> None:
    story = item(1, age_days=60)
    shoutout = item(2, "shoutout", age_days=3)
    choice = pick([story, shoutout])
    assert choice.moment_id == 2
    assert choice.reason == "A fresh shout-out, featured while it still means the most."


def test_shoutout_exactly_fourteen_days_old_is_still_fresh() -> None:
    story = item(1, age_days=60)
    shoutout = item(2, "shoutout", age_days=FRESH.days)
    assert pick([story, shoutout]).moment_id == 2


def test_shoutout_older_than_fourteen_days_waits_its_turn_like_anything_else() -> None:
    story = item(1, age_days=60)
    stale = item(2, "shoutout", age_days=FRESH.days + 1)
    choice = pick([story, stale])
    assert choice.moment_id == 1
    assert choice.reason.startswith("Never featured yet; waiting since 24 Sep 2026")


# --- rule 7: oldest first, then a seeded tie-break --------------------------------------------


def test_oldest_waiting_item_goes_first() -> None:
    newer, older, middle = item(1, age_days=3), item(2, age_days=40), item(3, age_days=20)
    choice = pick([newer, older, middle])
    assert choice.moment_id == 2
    assert choice.reason == "Never featured yet; waiting since 14 Oct 2026."


def test_same_state_and_seed_give_the_same_choice() -> None:
    pool = [item(n, KINDS[n % 3], people=(n % 4,), age_days=10) for n in range(1, 30)]
    first = choose(pool, stories(1), seed="team:2026-11-24", now=NOW)
    again = choose(list(reversed(pool)), stories(1), seed="team:2026-11-24", now=NOW)
    assert first == again


def test_tie_between_identical_items_is_broken_by_the_seed() -> None:
    twins = [item(1, age_days=10), item(2, age_days=10)]
    winners = {pick(twins, seed=f"team:{n}").moment_id for n in range(40)}
    assert winners == {1, 2}


# --- exclude and empty pools ------------------------------------------------------------------


def test_excluded_items_are_never_chosen() -> None:
    pool = [item(1, age_days=90), item(2, age_days=50), item(3, age_days=10)]
    assert pick(pool, exclude=frozenset({1})).moment_id == 2
    assert pick(pool, exclude=frozenset({1, 2})).moment_id == 3


def test_nothing_to_choose_gives_none() -> None:
    assert choose([], [], seed="s", now=NOW) is None
    assert choose([item(1)], [], seed="s", now=NOW, exclude=frozenset({1})) is None


# --- reasons ------------------------------------------------------------------------------------


def test_reason_for_a_repeat_names_when_it_was_last_featured() -> None:
    choice = pick([item(1, times=1, last=datetime(2026, 11, 2, tzinfo=UTC))])
    assert choice.reason == (
        "Everything has been featured at least once; this one has waited longest (last on 2 Nov 2026)."
    )


def test_reason_mentions_the_kind_streak_it_breaks() -> None:
    exercise = item(2, "exercise", age_days=10)
    choice = pick([item(1, "story", age_days=90), exercise], stories(1, 2))
    assert choice.reason == "Never featured yet; waiting since 13 Nov 2026 and the last 2 moments were stories."


def test_reason_mentions_the_people_it_avoids() -> None:
    choice = pick([item(1, people=(1,), age_days=90), item(2, people=(2,), age_days=10)], stories(1))
    assert choice.reason == "Never featured yet; waiting since 13 Nov 2026 and not the people featured last time."


# --- properties ---------------------------------------------------------------------------------

people_sets = st.frozensets(st.integers(1, 6), max_size=3)
RawItem = tuple[str, frozenset[int], int, bool]  # kind, people, age in days, library
pool_items = st.tuples(st.sampled_from(KINDS), people_sets, st.integers(0, 400), st.booleans())


def _pool(raw: list[RawItem]) -> list[Candidate]:
    pool = []
    for n, (kind, people, age, library) in enumerate(raw, start=1):
        if library:
            kind, people = "exercise", frozenset()
        pool.append(item(n, kind, people=tuple(people), age_days=age, library=library))
    return pool


def _simulate(pool: list[Candidate], meetings: int) -> list[tuple[list[Candidate], list[Recent], Candidate]]:
    """Run ``meetings`` weekly meetings, featuring each pick; returns (candidates, recent, pick) per meeting."""
    by_id = {c.moment_id: c for c in pool}
    recent: list[Recent] = []
    history = []
    for week in range(meetings):
        now = NOW + timedelta(days=7 * week)
        candidates = list(by_id.values())
        choice = choose(candidates, recent, seed=f"team:{week}", now=now)
        assert choice is not None
        chosen = by_id[choice.moment_id]
        history.append((candidates, list(recent), chosen))
        by_id[chosen.moment_id] = replace(chosen, times_featured=chosen.times_featured + 1, last_featured_at=now)
        recent = [Recent(chosen.kind, chosen.people), *recent][:3]
    return history


@settings(max_examples=150, deadline=None)
@given(st.lists(pool_items, min_size=1, max_size=12), st.integers(1, 30))
def test_every_item_is_featured_once_before_any_item_repeats(raw: list[RawItem], meetings: int) -> None:
    pool = _pool(raw)
    picks = [chosen.moment_id for _, _, chosen in _simulate(pool, meetings)]
    first_round = picks[: len(pool)]
    assert len(set(first_round)) == len(first_round)
    if meetings >= len(pool):
        assert set(first_round) == {c.moment_id for c in pool}


@settings(max_examples=150, deadline=None)
@given(st.lists(pool_items, min_size=1, max_size=12), st.integers(2, 30))
def test_people_of_the_last_meeting_rest_whenever_someone_new_is_waiting(raw: list[RawItem], meetings: int) -> None:
    for candidates, recent, chosen in _simulate(_pool(raw), meetings):
        if not recent:
            continue
        last = recent[0].people
        if any(c.times_featured == 0 and not (c.people & last) for c in candidates):
            assert not (chosen.people & last)


@settings(max_examples=150, deadline=None)
@given(st.lists(pool_items, min_size=1, max_size=12), st.integers(3, 30))
def test_never_three_of_a_kind_in_a_row_while_another_new_kind_waits(raw: list[RawItem], meetings: int) -> None:
    """Another kind waits = a never-featured item of another kind that does not repeat last meeting's people
    (rule 2 outranks rule 3, see ``test_person_rule_outranks_kind_balance``)."""
    for candidates, recent, chosen in _simulate(_pool(raw), meetings):
        if len(recent) < 2 or recent[0].kind != recent[1].kind:
            continue
        streak, last = recent[0].kind, recent[0].people
        if any(c.times_featured == 0 and c.kind != streak and not (c.people & last) for c in candidates):
            assert chosen.kind != streak


moments_at = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
any_candidate = st.builds(
    Candidate,
    moment_id=st.integers(-5, 50),
    kind=st.one_of(st.sampled_from(KINDS), st.text(max_size=5)),
    people=st.frozensets(st.integers(-3, 10), max_size=4),
    times_featured=st.integers(0, 10**6),
    last_featured_at=st.none() | moments_at,
    created_at=moments_at,
    library=st.booleans(),
)
any_recent = st.builds(Recent, kind=st.one_of(st.sampled_from(KINDS), st.text(max_size=5)), people=people_sets)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(any_candidate, max_size=15),
    st.lists(any_recent, max_size=4),
    st.text(max_size=20),
    moments_at,
    st.frozensets(st.integers(-5, 50), max_size=5),
)
def test_choose_never_raises_and_picks_an_allowed_candidate(
    candidates: list[Candidate], recent: list[Recent], seed: str, now: datetime, exclude: frozenset[int]
) -> None:
    choice = choose(candidates, recent, seed=seed, now=now, exclude=exclude)
    allowed = {c.moment_id for c in candidates} - exclude
    if not allowed:
        assert choice is None
    else:
        assert choice is not None
        assert choice.moment_id in allowed
        assert choice.reason.endswith(".")
