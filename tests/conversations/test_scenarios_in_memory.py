"""The matching-round and consent scenarios, run again on the in-memory store.

These scenario tests take any `store` (tests/scenarios/test_matching_round.py and
test_consent.py run them on SQLite and PostgreSQL); here the `store` fixture is a `FakeStore`,
so the same assertions hold the fake to what the engine sees from SQL: publishing, consent
in either order and at the same moment, declines, reminders, pairing by hand, the home view.
"""

from __future__ import annotations

import pytest

from tests.fakes import FakeStore
from tests.scenarios.test_consent import (
    test_a_side_the_programme_does_not_ask_cannot_decide,
    test_both_accept_in_either_order_and_are_introduced_once,
    test_forged_and_stale_buttons_change_nothing,
    test_home_and_status_show_each_side_their_own_buttons,
    test_nobody_asked_pairs_start_at_once,
    test_only_the_junior_asked,
    test_pairing_by_hand_asks_both,
    test_previews_reveal_no_inclusion_topic,
    test_reminders_go_only_to_whoever_has_not_answered,
    test_the_junior_declines_first_privately,
    test_the_senior_declines_after_the_junior_accepted,
    test_two_accepts_at_the_same_moment_introduce_once,
)
from tests.scenarios.test_matching_round import (
    test_a_declined_pair_is_never_proposed_again,
    test_dry_run_publish_consent_and_intro,
    test_pairing_by_hand_checks_the_rules_and_is_audited,
    test_paused_people_are_not_eligible,
)

__all__ = [
    "test_a_declined_pair_is_never_proposed_again",
    "test_a_side_the_programme_does_not_ask_cannot_decide",
    "test_both_accept_in_either_order_and_are_introduced_once",
    "test_dry_run_publish_consent_and_intro",
    "test_forged_and_stale_buttons_change_nothing",
    "test_home_and_status_show_each_side_their_own_buttons",
    "test_nobody_asked_pairs_start_at_once",
    "test_only_the_junior_asked",
    "test_pairing_by_hand_asks_both",
    "test_pairing_by_hand_checks_the_rules_and_is_audited",
    "test_paused_people_are_not_eligible",
    "test_previews_reveal_no_inclusion_topic",
    "test_reminders_go_only_to_whoever_has_not_answered",
    "test_the_junior_declines_first_privately",
    "test_the_senior_declines_after_the_junior_accepted",
    "test_two_accepts_at_the_same_moment_introduce_once",
]


@pytest.fixture
def store() -> FakeStore:
    """The scenarios' store, in memory (overrides tests/dbfixtures.py's SQL `store`)."""
    return FakeStore()
