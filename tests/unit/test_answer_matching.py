"""The load benchmark's matching of agenda cards to the helpful votes they answer."""

from __future__ import annotations

from benchmarks.load import Load, Stats


def generator_with_votes(sent: dict[str, float], votes: dict[str, list[str]]) -> Load:
    generator = Load.__new__(Load)
    generator.waiting = {key: ("button", at) for key, at in sent.items()}
    generator.votes = votes
    return generator


def test_a_card_answers_the_earliest_vote_without_an_answer_of_its_own() -> None:
    """v1 was answered on its own response_url (a repeat vote, or busy); the card answers v2 even when v1's
    answer is learnt only after the card came."""
    generator = generator_with_votes({"1": 10.0, "2": 10.1}, {"11": ["1", "2"]})
    assert generator._card_answers([(10.5, "11")], answered={"1"}) == {"2": 10.5}
    assert generator._card_answers([(10.5, "11")], answered=set()) == {"1": 10.5}, "not known yet: the earliest"


def test_a_card_answers_no_vote_sent_after_it_nor_one_for_another_item() -> None:
    generator = generator_with_votes({"1": 10.0, "2": 11.0}, {"11": ["2"], "12": ["1"]})
    assert generator._card_answers([(10.5, "11")], answered=set()) == {}


class Polls:
    """What the fakes' answer log says at each poll: a card first, the repeat vote's own answer after."""

    def __init__(self, *polls: dict[str, float]) -> None:
        self._polls = list(polls)

    def get(self, _url: str) -> Polls:
        return self

    async def __aenter__(self) -> Polls:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def json(self) -> dict[str, float]:
        return self._polls.pop(0) if self._polls else {}


async def test_a_vote_whose_own_answer_comes_after_its_items_card_leaves_the_card_to_the_first_vote() -> None:
    generator = generator_with_votes({"1": 10.0, "2": 10.1}, {"11": ["1", "2"]})
    generator.session = Polls({"card:11:1": 10.5}, {"1": 10.6})  # type: ignore[assignment]
    generator.answers_url = "answers"
    stats = {"button": Stats()}
    await generator.answers(stats, ended=20.0, quiet=0.3)
    assert stats["button"].unanswered == 0
    assert sorted(round(seconds, 3) for seconds in stats["button"].answers) == [0.4, 0.6]
