"""People left out last round come first; a cut-short search says so."""

from __future__ import annotations

from conversations.matching.best_pairs import PRIORITY_REASON, explain_pair, propose_pairs
from conversations.types import MatchInput, Role
from tests.conversations.test_matching import match_input, mentee, person


def with_priority(data: MatchInput, *ids: int) -> MatchInput:
    return MatchInput(**{**data.__dict__, "priority": frozenset(ids)})


def test_priority_person_beats_a_better_score_and_keeps_the_real_score() -> None:
    people = [
        person(1, 1, teaches=("AI", "SQL")),
        mentee(2, 5, learns=("AI", "SQL")),  # the better fit
        mentee(3, 5),  # left out last round
    ]
    plain = match_input(people)
    assert [(p.mentor.id, p.mentee.id) for p in propose_pairs(plain).pairs] == [(1, 2)]
    result = propose_pairs(with_priority(plain, 3))
    (pair,) = result.pairs
    assert (pair.mentor.id, pair.mentee.id) == (1, 3)
    score, reasons = explain_pair(people[0], people[2], plain)
    assert pair.score == score == result.total_score  # no bonus leaks out
    assert pair.reasons == (*reasons, PRIORITY_REASON)
    assert [u.person.id for u in result.unmatched] == [2]


def test_as_many_priority_people_as_possible_even_on_a_long_chain() -> None:
    # matching priority mentee 6 needs every other pair to shift along a chain, each shift
    # losing score: the bonus must outweigh the whole chain, not one pair
    people = [
        person(1, 1, teaches=("AI",)),
        person(2, 1, teaches=("AI",)),
        person(3, 1, teaches=("AI",)),
        mentee(4, 5, learns=("AI",)),
        mentee(5, 5, learns=("AI",)),
        mentee(6, 5),
    ]
    data = with_priority(match_input(people, avoid_pairs=(("p1@example.com", "p6@example.com"),
                                                          ("p2@example.com", "p6@example.com"))),
                         6)  # fmt: skip
    pairs = {(p.mentor.id, p.mentee.id) for p in propose_pairs(data).pairs}
    assert (3, 6) in pairs and len(pairs) == 3


def test_a_priority_mentor_with_room_for_two_counts_once() -> None:
    people = [
        person(1, 1, teaches=("AI", "SQL")),  # priority, may take two mentees
        person(2, 1),  # priority
        mentee(3, 5, learns=("AI", "SQL")),
        mentee(4, 5, learns=("AI", "SQL")),
    ]
    data = with_priority(match_input(people, mentees_per_mentor=2), 1, 2)
    result = propose_pairs(data)
    assert {p.mentor.id for p in result.pairs} == {1, 2}  # both priority mentors matched
    assert all(PRIORITY_REASON in p.reasons for p in result.pairs)
    assert result.exact


def test_a_capped_search_is_reported_not_hidden() -> None:
    # the either person is wanted on both sides: the exact search needs more than one solve
    people = [person(1, 1), person(2, 4, role=Role.EITHER), mentee(3, 7)]
    data = match_input(people)
    assert propose_pairs(data).exact
    capped = propose_pairs(data, max_nodes=1)
    assert not capped.exact
    assert capped.notes and "may not be optimal" in capped.notes[0]
    assert len(capped.pairs) == 1  # still a valid proposal
