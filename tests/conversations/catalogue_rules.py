"""The rules the catalogue tests apply to `conversations/data/prompts.yaml`, read directly (not
through the engine's parser): the limits, the word lists of the safety rules, the named
subjects, and the measures of near-duplicates (tests/conversations/test_catalogue_*.py).
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

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
def shipped() -> dict[str, list[dict[str, Any]]]:
    """The shipped catalogue, read once (the tests only read it)."""
    document = yaml.safe_load(PROMPTS.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def all_entries() -> list[tuple[str, dict[str, Any]]]:
    """(track, entry) for every entry of the catalogue."""
    return [(track, entry) for track, entries in shipped().items() for entry in entries]


def all_texts() -> list[tuple[str, str, str]]:
    """(key, field, text) for every topic and prep."""
    return [(e["key"], f, e[f]) for _, e in all_entries() for f in ("topic", "prep")]


def fold(text: str) -> str:
    """Case-folded, with typographic apostrophes made plain."""
    return text.casefold().replace("\u2019", "'")


def mentions(text: str, needles: Iterable[str]) -> list[str]:
    """The needles that start a word of `text` (so "belief" finds "beliefs", not "unbelief")."""
    folded = fold(text)
    return [n for n in needles if re.search(r"(?<![a-z])" + re.escape(n), folded)]


def stem(word: str) -> str:
    """A deliberately simple stemmer: enough to make "goals", "goal" and "goal's" meet."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


@functools.cache
def content_words(text: str) -> frozenset[str]:
    """Lower-cased, stop words removed, simply stemmed."""
    words = re.findall(r"[a-z]+(?:'[a-z]+)?", fold(text))
    words = [w.removesuffix("'s") for w in words]  # a possessive is the word itself
    return frozenset(stem(w) for w in words if w not in STOP_WORDS and len(w) > 1)


def jaccard(a: str, b: str) -> float:
    """Overlap of two texts' content words: 0 nothing shared, 1 the same words."""
    left, right = content_words(a), content_words(b)
    return len(left & right) / len(left | right) if left | right else 1.0


def subjects(entry: Mapping[str, Any]) -> frozenset[str]:
    """The named subjects an entry's title or topic is about."""
    return subjects_of(f"{entry['title']}. {entry['topic']}")


@functools.cache
def subjects_of(text: str) -> frozenset[str]:
    """The named subjects a text mentions."""
    return frozenset(name for name, needles in SUBJECTS.items() if mentions(text, needles))


def near_duplicates(entries: Sequence[Mapping[str, Any]]) -> set[frozenset[str]]:
    """Pairs of keys whose topics say nearly the same thing."""
    found: set[frozenset[str]] = set()
    for a, b in itertools.combinations(entries, 2):
        same_words = jaccard(a["topic"], b["topic"]) >= JACCARD_LIMIT
        same_title = (
            difflib.SequenceMatcher(None, fold(a["title"]), fold(b["title"])).ratio() >= TITLE_LIMIT
        )
        same_subject = a["stage"] == b["stage"] and bool(subjects(a) & subjects(b))
        if same_words or same_title or same_subject:
            found.add(frozenset((a["key"], b["key"])))
    return found
