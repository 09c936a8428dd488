"""The shipped prompt catalogue keeps the programme's safety promises: disclosure is invited,
never required; no age framing; no private finances; no personal device in session 1; what was
shared stays between the pair; and no two entries are near-duplicates
(tests/conversations/catalogue_rules.py holds the word lists and measures).
"""

from __future__ import annotations

from tests.conversations.catalogue_rules import (
    BANNED,
    DISCLOSURE,
    FINANCES,
    HAPPY,
    PERSONAL_DEVICE,
    SUBJECTS,
    all_entries,
    all_texts,
    fold,
    mentions,
    near_duplicates,
    subjects,
)

# --- safety and voice ----------------------------------------------------------------------


def test_no_age_or_group_framing() -> None:
    found = [(k, f, mentions(t, BANNED)) for k, f, t in all_texts() if mentions(t, BANNED)]
    assert found == []


def test_no_private_finances() -> None:
    found = [(k, f, mentions(t, FINANCES)) for k, f, t in all_texts() if mentions(t, FINANCES)]
    assert found == []


def test_every_invitation_to_disclose_says_only_if_youre_happy_to() -> None:
    missing = [
        (k, f, mentions(t, DISCLOSURE))
        for k, f, t in all_texts()
        if mentions(t, DISCLOSURE) and HAPPY not in fold(t)
    ]
    assert missing == []


def test_no_personal_device_in_session_one_and_only_on_offer_later() -> None:
    for _, entry in all_entries():
        for field in ("topic", "prep"):
            shown = mentions(entry[field], PERSONAL_DEVICE)
            if entry["stage"] == "start":
                assert shown == [], (entry["key"], field, shown)
            elif shown:
                assert HAPPY in fold(entry[field]), (entry["key"], field, shown)


def test_every_closing_entry_says_what_was_shared_stays_between_them() -> None:
    """Whichever closing topic the junior picks, the pair hears what happens to what they shared."""
    closing = [e for _, e in all_entries() if e["stage"] == "closing"]
    assert closing
    for entry in closing:
        assert "stays between you" in fold(entry["topic"]), entry["key"]
        assert "stays between you" in fold(entry["prep"]), entry["key"]


def test_no_two_entries_are_near_duplicates() -> None:
    entries = [entry for _, entry in all_entries()]
    assert near_duplicates(entries) == set()


def test_each_named_subject_is_recognised_where_it_is_meant_to_be() -> None:
    """The subject list is live: every subject names at least one shipped entry, so a typo in a
    needle cannot silently switch a check off."""
    named = frozenset().union(*(subjects(entry) for _, entry in all_entries()))
    assert named == set(SUBJECTS), set(SUBJECTS) - named
