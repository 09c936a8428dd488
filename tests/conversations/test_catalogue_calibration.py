"""The catalogue checks are calibrated on entries of the catalogue the shipped one replaced: they
flag the near-duplicates and the risky prompts issue 17 named
(tests/conversations/catalogue_rules.py holds the checks).
"""

from __future__ import annotations

import itertools

from tests.conversations.catalogue_rules import (
    BANNED,
    DISCLOSURE,
    FINANCES,
    HAPPY,
    JACCARD_LIMIT,
    PERSONAL_DEVICE,
    fold,
    jaccard,
    mentions,
    near_duplicates,
)

# --- calibration on the catalogue this one replaced ------------------------------------------

# Entries of the previous catalogue (before issue 17), as they were shipped. Those had no stage
# or title: the stage follows from their session (1 → start, 2–5 → substance) and the title from
# their key.
OLD: tuple[dict[str, str], ...] = (
    {
        "key": "tech-s1-one-wish",
        "stage": "start",
        "title": "one wish",
        "topic": "Name one digital task that eats your week: the inbox, slides, finding files. "
        "Ask your mentor how they would tackle it, and agree it as a goal for your sessions.",
    },
    {
        "key": "tech-s1-three-goals",
        "stage": "start",
        "title": "three goals",
        "topic": "Write down three things you want to be able to do by your last session, as "
        "concrete as 'run a poll in Teams' or 'spot a fake video'. Your mentor helps you "
        "sharpen them.",
    },
    {
        "key": "incl-s1-goals",
        "stage": "start",
        "title": "goals",
        "topic": "Tell your mentor what you hope to understand better by the end, and ask what "
        "they hope to get from it. Write down one goal each.",
    },
    {
        "key": "tech-s4-phishing",
        "stage": "substance",
        "title": "phishing",
        "topic": "Ask your mentor to show you the tell-tale signs of a phishing message, with "
        "real examples. Then check your own security settings together.",
    },
    {
        "key": "tech-s4-deepfakes",
        "stage": "substance",
        "title": "deepfakes",
        "topic": "Ask your mentor how they tell whether a video, a voice note or a screenshot "
        "is real. Look at a couple of examples together.",
    },
)
OLD_RISKY = {
    "tech-s2-emoji": "Ask your mentor what a thumbs-up, a one-word reply or a full stop means "
    "in a chat from a senior leader. Talk about how your messages might land with their "
    "generation.",
    "incl-s2-gen-z": "Ask your mentor what people their age want from work that leaders often "
    "miss. Ask for examples, not labels.",
    "incl-s4-job-advert": "Look at one of your team's job adverts together. Your mentor points "
    "out what might put people like them off applying.",
    "tech-s5-fintech": "Ask your mentor to show you how they pay, save or split bills with "
    "apps. Talk about what that means for how customers expect to deal with us.",
    "incl-s5-gender": "Ask your mentor about a moment when gender, theirs or a colleague's, "
    "changed how someone was treated at work. Ask what would have helped.",
    "incl-s3-route-in": "Ask your mentor how money and background shaped their route into "
    "work: unpaid internships, first in the family at university, the cost of the commute. "
    "Listen for what you never had to think about.",
    "incl-s4-being-open": "Ask your mentor what makes a workplace feel safe to be open about "
    "who you are: pronouns, partners, a photo on the desk. Listen for small signals you send "
    "without knowing.",
    "tech-s1-home-screen": "Show each other your phone's home screen. Your mentor talks you "
    "through the apps they open most and why; then you share yours. Notice one thing that "
    "surprised you.",
}


def test_the_duplicate_check_flags_the_old_catalogues_near_duplicates() -> None:
    flagged = near_duplicates(OLD)
    expected = {
        frozenset(("tech-s1-one-wish", "tech-s1-three-goals")),
        frozenset(("tech-s1-one-wish", "incl-s1-goals")),
        frozenset(("tech-s1-three-goals", "incl-s1-goals")),
        frozenset(("tech-s4-phishing", "tech-s4-deepfakes")),
    }
    assert flagged == expected
    # Word overlap alone would have let them all through: the named subjects are what catch them.
    assert all(
        jaccard(a["topic"], b["topic"]) < JACCARD_LIMIT for a, b in itertools.combinations(OLD, 2)
    )


def test_the_word_overlap_check_flags_a_lightly_reworded_copy() -> None:
    original = OLD[3]
    copy = {
        **original,
        "key": "copy",
        "title": "spot a scam",
        "topic": "Ask your mentor to show you the signs of a phishing email, with real examples, "
        "then check your security settings.",
        "stage": "closing",  # another stage, so only the word overlap can catch it
    }
    assert jaccard(original["topic"], copy["topic"]) >= JACCARD_LIMIT
    assert near_duplicates([original, copy]) == {frozenset(("tech-s4-phishing", "copy"))}


def test_the_safety_checks_flag_the_old_catalogues_risky_prompts() -> None:
    assert mentions(OLD_RISKY["tech-s2-emoji"], BANNED) == ["generation"]
    assert mentions(OLD_RISKY["incl-s2-gen-z"], BANNED) == ["people their age", "their age"]
    assert mentions(OLD_RISKY["incl-s4-job-advert"], BANNED) == ["people like"]
    assert mentions(OLD_RISKY["tech-s5-fintech"], FINANCES) == ["how they pay", "split bills"]
    for key in ("incl-s5-gender", "incl-s3-route-in", "incl-s4-being-open"):
        text = OLD_RISKY[key]
        assert mentions(text, DISCLOSURE) and HAPPY not in fold(text), key
    assert mentions(OLD_RISKY["tech-s1-home-screen"], PERSONAL_DEVICE) == ["home screen", "phone"]
