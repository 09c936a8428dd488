"""The words pairs read: the shipped prompt catalogue keeps the programme's promises.

`conversations/data/prompts.yaml` is read directly here (not through the engine's parser), so
these are rules about the text itself: its shape, the size of every pool a session draws from,
the voice, the safety rules (disclosure is invited, never required; no age framing; no private
finances; no personal device in session 1) and that no two entries are near-duplicates. The
near-duplicate measure is calibrated on entries from the catalogue this one replaced: the test
at the bottom proves it flags the pairs issue 17 named.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "conversations" / "data" / "prompts.yaml"
TOPICS = ROOT / "conversations" / "data" / "topics.yaml"

FIELDS = {"key", "stage", "title", "topic", "prep"}
STAGES = ("start", "substance", "commitments", "closing")
# A 12-session programme on one track uses 1 start, 9 substance, 1 commitments and 1 closing
# session, and the junior is offered a choice of up to three: these minimums never run out.
MINIMUM = {"start": 4, "substance": 14, "commitments": 4, "closing": 4}
MAX_TITLE = 40  # a button label on a phone
MAX_KEY = 32  # stored with every delivery
# The junior taps the title and the pair may see it: it addresses neither side.
ONE_SIDED = re.compile(r"\b(?:i|you|your|you'll|you've|you'd|you're|they|them|their|they've)\b")
WORDS = (10, 80)
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

HAPPY = "only if you're happy to"
# Age and group framing: the junior is not assumed young, nor asked to speak for anyone else.
BANNED = (
    "generation",
    "people their age",
    "your age",
    "their age",
    "gen z",
    "digital native",
    "young",
    "millennial",
    "boomer",
    "people like",
    "people at their level",
)
# Asking how someone pays, saves or earns is nobody's business in a mentoring session.
FINANCES = (
    "how they pay",
    "how you pay",
    "split bills",
    "savings",
    "salary",
    "bank account",
    "earn",
)
# Words that invite someone to say something about who they are: the text must say HAPPY.
DISCLOSURE = (
    "background",
    "identity",
    "identities",
    "disabilit",
    "disabled",
    "neurodiver",
    "diagnos",
    "faith",
    "belief",
    "religio",
    "gender",
    "race",
    "racial",
    "ethnic",
    "sexuality",
    "orientation",
    "health",
    "family",
    "families",
    "pronoun",
    "cultur",
    "route in",
    "being open",
    "came out",
    "coming out",
    "only one",
)
# Showing a personal device or account is optional and never in session 1.
PERSONAL_DEVICE = (
    "home screen",
    "phone",
    "social feed",
    "news feed",
    "your feed",
    "own feed",
    "their feed",
    "personal account",
    "personal profile",
    "own profile",
    "linkedin profile",
)

STOP_WORDS = frozenset(
    """a about after again all also an and any are as at be been before being both but by can
    could do does did each either even for from get gets got had has have how i if in into is it
    its it's just let like make may me more most much my no nor not now of on once one only or
    other our out over own same say says she should so some such than that the their them then
    there these they this those through to too two up us very was way we were what when where
    whether which while who whom why will with would you you'd you'll you're you've your yours
    yourself mentor mentee ask asks together session sessions s t d ll re ve""".split()
)

# Lexical overlap misses paraphrases (the old phishing and deepfakes entries share three words),
# so the subjects a catalogue is prone to repeat are named: two entries of one stage may not
# share one, whichever track they are on (a pair on both tracks is offered both pools).
SUBJECTS: Mapping[str, tuple[str, ...]] = {
    "goals": ("goal", "hope to"),
    "scams and fakes": ("phishing", "scam", "fake", "deepfake", "spoof"),
    "passwords": ("password", "two-step", "sign-in"),
    "notifications": ("notification", "switch off", "focus mode"),
    "the inbox": ("inbox",),
    "charts": ("chart", "dashboard"),
    "spreadsheets": ("spreadsheet", "pivot"),
    "automation": ("automat", "workflow"),
    "accessibility": ("accessib", "screen reader", "alt text"),
    "belonging": ("belong",),
    "the only one": ("only one",),
    "faith": ("faith", "religio", "prayer"),
    "gender": ("gender",),
    "disability": ("disab",),
    "mental health": ("mental health", "not ok"),
    "flexibility": ("flexib", "children"),
    "being open": ("pronoun", "being open"),
    "allyship": ("ally", "allies", "stood up for"),
    "hiring": ("job advert", "applying"),
    "culture": ("cultur",),
    "disagreeing": ("disagree", "that's wrong"),
    "promotion": ("promot", "gets noticed"),
    "decisions": ("decision",),
}
JACCARD_LIMIT = 0.5
TITLE_LIMIT = 0.8


# --- helpers -------------------------------------------------------------------------------


@functools.cache
def _catalogue() -> dict[str, list[dict[str, Any]]]:
    """The shipped catalogue, read once (the tests only read it)."""
    document = yaml.safe_load(PROMPTS.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _entries() -> list[tuple[str, dict[str, Any]]]:
    return [(track, entry) for track, entries in _catalogue().items() for entry in entries]


def _texts() -> list[tuple[str, str, str]]:
    """(key, field, text) for every topic and prep."""
    return [(e["key"], f, e[f]) for _, e in _entries() for f in ("topic", "prep")]


def _folded(text: str) -> str:
    return text.casefold().replace("\u2019", "'")


def _mentions(text: str, needles: Iterable[str]) -> list[str]:
    """The needles that start a word of `text` (so "belief" finds "beliefs", not "unbelief")."""
    folded = _folded(text)
    return [n for n in needles if re.search(r"(?<![a-z])" + re.escape(n), folded)]


def _stem(word: str) -> str:
    """A deliberately simple stemmer: enough to make "goals", "goal" and "goal's" meet."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


@functools.cache
def content_words(text: str) -> frozenset[str]:
    """Lower-cased, stop words removed, simply stemmed."""
    words = re.findall(r"[a-z]+(?:'[a-z]+)?", _folded(text))
    words = [w.removesuffix("'s") for w in words]  # a possessive is the word itself
    return frozenset(_stem(w) for w in words if w not in STOP_WORDS and len(w) > 1)


def jaccard(a: str, b: str) -> float:
    """Overlap of two texts' content words: 0 nothing shared, 1 the same words."""
    left, right = content_words(a), content_words(b)
    return len(left & right) / len(left | right) if left | right else 1.0


def subjects(entry: Mapping[str, Any]) -> frozenset[str]:
    """The named subjects an entry's title or topic is about."""
    return _subjects_of(f"{entry['title']}. {entry['topic']}")


@functools.cache
def _subjects_of(text: str) -> frozenset[str]:
    return frozenset(name for name, needles in SUBJECTS.items() if _mentions(text, needles))


def near_duplicates(entries: Sequence[Mapping[str, Any]]) -> set[frozenset[str]]:
    """Pairs of keys whose topics say nearly the same thing."""
    found: set[frozenset[str]] = set()
    for a, b in itertools.combinations(entries, 2):
        same_words = jaccard(a["topic"], b["topic"]) >= JACCARD_LIMIT
        same_title = (
            difflib.SequenceMatcher(None, _folded(a["title"]), _folded(b["title"])).ratio()
            >= TITLE_LIMIT
        )
        same_subject = a["stage"] == b["stage"] and bool(subjects(a) & subjects(b))
        if same_words or same_title or same_subject:
            found.add(frozenset((a["key"], b["key"])))
    return found


# --- shape ---------------------------------------------------------------------------------


def test_the_tracks_are_the_shipped_topic_tracks() -> None:
    topics = yaml.safe_load(TOPICS.read_text(encoding="utf-8"))
    assert list(_catalogue()) == list(topics) == ["technology", "inclusion"]


def test_every_entry_has_exactly_its_fields_and_a_valid_stage() -> None:
    for track, entry in _entries():
        assert isinstance(entry, dict) and set(entry) == FIELDS, (track, entry)
        assert all(isinstance(entry[f], str) and entry[f].strip() for f in FIELDS), entry
        assert entry["stage"] in STAGES, entry["key"]
        assert KEY.fullmatch(entry["key"]) and len(entry["key"]) <= MAX_KEY, entry["key"]


def test_keys_and_titles_are_unique_and_titles_fit_a_button() -> None:
    keys = [e["key"] for _, e in _entries()]
    titles = [_folded(e["title"]) for _, e in _entries()]
    assert len(set(keys)) == len(keys)
    assert len(set(titles)) == len(titles)
    too_long = [e["title"] for _, e in _entries() if len(e["title"]) > MAX_TITLE]
    assert too_long == []


def test_titles_read_the_same_to_both_partners() -> None:
    """The junior picks from the titles and the senior may see them: "your mentor" or "you'll"
    would mean someone different to each. Quoted speech ('I'm not OK') is exempt."""
    one_sided = [
        e["title"]
        for _, e in _entries()
        if ONE_SIDED.search(re.sub(r"(?<![a-z])'.*?'(?![a-z])", "", _folded(e["title"])))
    ]
    assert one_sided == []


@pytest.mark.parametrize("track", ["technology", "inclusion"])
@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_of_every_track_has_enough_to_choose_from(track: str, stage: str) -> None:
    pool = [e for e in _catalogue()[track] if e["stage"] == stage]
    assert len(pool) >= MINIMUM[stage], f"{track} {stage}: {len(pool)}"


def test_every_text_is_short_enough_for_a_phone_and_long_enough_to_act_on() -> None:
    low, high = WORDS
    outside = [(k, f, len(t.split())) for k, f, t in _texts() if not low <= len(t.split()) <= high]
    assert outside == []


def test_topics_speak_to_the_senior_and_prep_notes_to_the_junior() -> None:
    """A topic's "you" is the senior (their partner is "your mentor"); a prep note's "you" is
    the junior (their partner is "your mentee"). Mixing them up reverses who leads."""
    wrong = [k for k, f, t in _texts() if f == "topic" and "your mentee" in _folded(t)]
    wrong += [k for k, f, t in _texts() if f == "prep" and "your mentor" in _folded(t)]
    assert wrong == []


def test_each_prep_note_prepares_for_its_own_topic() -> None:
    """Topic and prep are chosen together: each prep shares words with its own topic, and no
    other topic of its track is closer to it."""
    for track, entries in _catalogue().items():
        for entry in entries:
            own = content_words(entry["topic"]) & content_words(entry["prep"])
            assert len(own) >= 2, (entry["key"], own)
            closest = max(entries, key=lambda other: jaccard(other["topic"], entry["prep"]))
            assert jaccard(closest["topic"], entry["prep"]) <= jaccard(
                entry["topic"], entry["prep"]
            ), (track, entry["key"], "is closer to", closest["key"])


# --- safety and voice ----------------------------------------------------------------------


def test_no_age_or_group_framing() -> None:
    found = [(k, f, _mentions(t, BANNED)) for k, f, t in _texts() if _mentions(t, BANNED)]
    assert found == []


def test_no_private_finances() -> None:
    found = [(k, f, _mentions(t, FINANCES)) for k, f, t in _texts() if _mentions(t, FINANCES)]
    assert found == []


def test_every_invitation_to_disclose_says_only_if_youre_happy_to() -> None:
    missing = [
        (k, f, _mentions(t, DISCLOSURE))
        for k, f, t in _texts()
        if _mentions(t, DISCLOSURE) and HAPPY not in _folded(t)
    ]
    assert missing == []


def test_no_personal_device_in_session_one_and_only_on_offer_later() -> None:
    for _, entry in _entries():
        for field in ("topic", "prep"):
            shown = _mentions(entry[field], PERSONAL_DEVICE)
            if entry["stage"] == "start":
                assert shown == [], (entry["key"], field, shown)
            elif shown:
                assert HAPPY in _folded(entry[field]), (entry["key"], field, shown)


def test_every_closing_entry_says_what_was_shared_stays_between_them() -> None:
    """Whichever closing topic the junior picks, the pair hears what happens to what they shared."""
    closing = [e for _, e in _entries() if e["stage"] == "closing"]
    assert closing
    for entry in closing:
        assert "stays between you" in _folded(entry["topic"]), entry["key"]
        assert "stays between you" in _folded(entry["prep"]), entry["key"]


def test_no_two_entries_are_near_duplicates() -> None:
    entries = [entry for _, entry in _entries()]
    assert near_duplicates(entries) == set()


def test_each_named_subject_is_recognised_where_it_is_meant_to_be() -> None:
    """The subject list is live: every subject names at least one shipped entry, so a typo in a
    needle cannot silently switch a check off."""
    named = frozenset().union(*(subjects(entry) for _, entry in _entries()))
    assert named == set(SUBJECTS), set(SUBJECTS) - named


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
    assert _mentions(OLD_RISKY["tech-s2-emoji"], BANNED) == ["generation"]
    assert _mentions(OLD_RISKY["incl-s2-gen-z"], BANNED) == ["people their age", "their age"]
    assert _mentions(OLD_RISKY["incl-s4-job-advert"], BANNED) == ["people like"]
    assert _mentions(OLD_RISKY["tech-s5-fintech"], FINANCES) == ["how they pay", "split bills"]
    for key in ("incl-s5-gender", "incl-s3-route-in", "incl-s4-being-open"):
        text = OLD_RISKY[key]
        assert _mentions(text, DISCLOSURE) and HAPPY not in _folded(text), key
    assert _mentions(OLD_RISKY["tech-s1-home-screen"], PERSONAL_DEVICE) == ["home screen", "phone"]
