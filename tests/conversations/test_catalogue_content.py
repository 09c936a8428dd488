"""The words pairs read: the shipped prompt catalogue keeps the programme's promises — its shape.

`conversations/data/prompts.yaml` is read directly (tests/conversations/catalogue_rules.py), so
these are rules about the text itself: its shape, the size of every pool a session draws from
and the voice. The safety rules are in test_catalogue_safety.py, the calibration of the
near-duplicate measure in test_catalogue_calibration.py.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conversations.catalogue_rules import (
    FIELDS,
    KEY,
    MAX_KEY,
    MAX_TITLE,
    MINIMUM,
    ONE_SIDED,
    STAGES,
    TOPICS,
    WORDS,
    all_entries,
    all_texts,
    content_words,
    fold,
    jaccard,
    shipped,
)

# --- shape ---------------------------------------------------------------------------------


def test_the_tracks_are_the_shipped_topic_tracks() -> None:
    topics = yaml.safe_load(TOPICS.read_text(encoding="utf-8"))
    assert list(shipped()) == list(topics) == ["technology", "inclusion"]


def test_every_entry_has_exactly_its_fields_and_a_valid_stage() -> None:
    for track, entry in all_entries():
        assert isinstance(entry, dict) and set(entry) == FIELDS, (track, entry)
        assert all(isinstance(entry[f], str) and entry[f].strip() for f in FIELDS), entry
        assert entry["stage"] in STAGES, entry["key"]
        assert KEY.fullmatch(entry["key"]) and len(entry["key"]) <= MAX_KEY, entry["key"]


def test_keys_and_titles_are_unique_and_titles_fit_a_button() -> None:
    keys = [e["key"] for _, e in all_entries()]
    titles = [fold(e["title"]) for _, e in all_entries()]
    assert len(set(keys)) == len(keys)
    assert len(set(titles)) == len(titles)
    too_long = [e["title"] for _, e in all_entries() if len(e["title"]) > MAX_TITLE]
    assert too_long == []


def test_titles_read_the_same_to_both_partners() -> None:
    """The junior picks from the titles and the senior may see them: "your mentor" or "you'll"
    would mean someone different to each. Quoted speech ('I'm not OK') is exempt."""
    one_sided = [
        e["title"]
        for _, e in all_entries()
        if ONE_SIDED.search(re.sub(r"(?<![a-z])'.*?'(?![a-z])", "", fold(e["title"])))
    ]
    assert one_sided == []


@pytest.mark.parametrize("track", ["technology", "inclusion"])
@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_of_every_track_has_enough_to_choose_from(track: str, stage: str) -> None:
    pool = [e for e in shipped()[track] if e["stage"] == stage]
    assert len(pool) >= MINIMUM[stage], f"{track} {stage}: {len(pool)}"


def test_every_text_is_short_enough_for_a_phone_and_long_enough_to_act_on() -> None:
    low, high = WORDS
    outside = [
        (k, f, len(t.split())) for k, f, t in all_texts() if not low <= len(t.split()) <= high
    ]
    assert outside == []


def test_topics_speak_to_the_senior_and_prep_notes_to_the_junior() -> None:
    """A topic's "you" is the senior (their partner is "your mentor"); a prep note's "you" is
    the junior (their partner is "your mentee"). Mixing them up reverses who leads."""
    wrong = [k for k, f, t in all_texts() if f == "topic" and "your mentee" in fold(t)]
    wrong += [k for k, f, t in all_texts() if f == "prep" and "your mentor" in fold(t)]
    assert wrong == []


def test_each_prep_note_prepares_for_its_own_topic() -> None:
    """Topic and prep are chosen together: each prep shares words with its own topic, and no
    other topic of its track is closer to it."""
    for track, entries in shipped().items():
        for entry in entries:
            own = content_words(entry["topic"]) & content_words(entry["prep"])
            assert len(own) >= 2, (entry["key"], own)
            closest = max(entries, key=lambda other: jaccard(other["topic"], entry["prep"]))
            assert jaccard(closest["topic"], entry["prep"]) <= jaccard(
                entry["topic"], entry["prep"]
            ), (track, entry["key"], "is closer to", closest["key"])
