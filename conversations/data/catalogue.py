"""The shipped topic list and prompt catalogue (`conversations/data/*.yaml`).

Both files are package data read through `importlib.resources`, so they load the same from a
source checkout and from an installed wheel. They are validated on load: a bad edit fails at
start-up with a message naming the entry, not weeks later when a prompt is due.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

import yaml

from conversations.config import AppConfig
from conversations.types.prompts import STAGES, Prompt, Stage

MAX_TOPIC_LENGTH = 100  # the roster accepts topics up to this long
MAX_TITLE = 40  # a title is a button label, read on a phone
MAX_KEY = 32  # a key is stored as the junior's pick (a survey answer, 32 characters)
TECHNOLOGY = "technology"  # the track shown by name before both partners say yes
OPTIONS = 3  # how many topics the junior chooses from before each session
_TRACK = re.compile(r"[a-z][a-z0-9_-]{0,39}")  # as `config.Track`
_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PROMPT_FIELDS = frozenset({"key", "stage", "title", "topic", "prep"})
_FIELD_LIST = "key, stage, title, topic, prep"
GENERIC_PREP = (
    "Think about what you'd like to show or ask about on this topic: one example from your own "
    "work, and one question for your mentee. Ten minutes is plenty."
)


class CatalogueError(ValueError):
    """A data file breaks a rule; the message names the file and the entry."""


# --- topics ----------------------------------------------------------------------------------


def load_topics() -> dict[str, tuple[str, ...]]:
    """The shipped topics, track → labels, in file order (a fresh dict on every call)."""
    return dict(_shipped_topics())


def all_topics() -> tuple[str, ...]:
    """Every shipped topic label, track by track, in file order."""
    return tuple(label for labels in _shipped_topics().values() for label in labels)


def canonical_topic(label: str) -> str | None:
    """The shipped spelling of `label` (case and spacing ignored), or None if not shipped."""
    return _topics_by_folded_label().get(_fold(label))


def is_technology(label: str) -> bool:
    """True for a shipped technology topic (case and outer spaces ignored). Anything else,
    typed labels included, counts as inclusion: when unsure, say less."""
    return label.strip().casefold() in _technology()


def parse_topics(text: str, *, source: str = "topics.yaml") -> dict[str, tuple[str, ...]]:
    """Parse and validate a topics document (a mapping of track → list of labels)."""
    document = _load_yaml(text, source)
    if not isinstance(document, dict) or not document:
        raise CatalogueError(f"{source}: expected a mapping of track → list of topics")
    topics: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for track, labels in document.items():
        if not isinstance(track, str) or not _TRACK.fullmatch(track):
            raise CatalogueError(f"{source}: track {track!r} must be a lowercase name")
        if not isinstance(labels, list) or not labels:
            raise CatalogueError(f"{source}: {track}: expected a non-empty list of topics")
        for label in labels:
            if not isinstance(label, str) or not label.strip() or label != label.strip():
                raise CatalogueError(f"{source}: {track}: {label!r} must be a trimmed label")
            if ";" in label or len(label) > MAX_TOPIC_LENGTH:
                # The roster separates topics with ';' and caps their length.
                raise CatalogueError(
                    f"{source}: {track}: {label!r} must have no ';' and at most "
                    f"{MAX_TOPIC_LENGTH} characters"
                )
            if _fold(label) in seen:
                raise CatalogueError(f"{source}: {track}: {label!r} repeats {seen[_fold(label)]!r}")
            seen[_fold(label)] = f"{track}: {label}"
        topics[track] = tuple(labels)
    return topics


def _fold(label: str) -> str:
    return " ".join(label.split()).casefold()


@functools.cache
def _shipped_topics() -> Mapping[str, tuple[str, ...]]:
    return parse_topics(_read("topics.yaml"))


@functools.cache
def _topics_by_folded_label() -> Mapping[str, str]:
    return {_fold(label): label for label in all_topics()}


@functools.cache
def _technology() -> frozenset[str]:
    return frozenset(label.casefold() for label in _shipped_topics().get(TECHNOLOGY, ()))


# --- prompts ---------------------------------------------------------------------------------


def load_prompts() -> tuple[Prompt, ...]:
    """The shipped prompt catalogue, validated against the shipped tracks."""
    return _shipped_prompts()


def parse_prompts(
    text: str, *, tracks: Iterable[str], source: str = "prompts.yaml"
) -> tuple[Prompt, ...]:
    """Parse and validate a prompts document: track → list of {key, stage, title, topic, prep}.

    Keys must be unique lowercase slugs of at most 32 characters, tracks among `tracks`,
    stages one of `STAGES`, titles 3 to 40 characters (a button label), topics and prep
    notes 10 to 1000 characters. Every error names the entry and the field.
    """
    known_tracks = frozenset(tracks)
    document = _load_yaml(text, source)
    if not isinstance(document, dict) or not document:
        raise CatalogueError(f"{source}: expected a mapping of track → list of entries")
    prompts: list[Prompt] = []
    keys: set[str] = set()
    for track, items in document.items():
        if track not in known_tracks:
            allowed = ", ".join(sorted(known_tracks))
            raise CatalogueError(f"{source}: unknown track {track!r}; use {allowed}")
        if not isinstance(items, list) or not items:
            raise CatalogueError(f"{source}: {track}: expected a non-empty list of entries")
        for item in items:
            prompt = _prompt(item, track=str(track), where=f"{source}: {track}")
            if prompt.key in keys:
                raise CatalogueError(f"{source}: {track}: key {prompt.key!r} is used twice")
            keys.add(prompt.key)
            prompts.append(prompt)
    return tuple(prompts)


def short_title(text: str) -> str:
    """A button label from a prompt's first words: at most `MAX_TITLE` characters, "…" when cut."""
    words = " ".join(text.split())
    if len(words) <= MAX_TITLE:
        return words
    title = ""
    for word in words.split(" "):
        if len(f"{title} {word}".strip()) > MAX_TITLE - 1:
            break
        title = f"{title} {word}".strip()
    # A single very long word: cut it rather than offer an empty label.
    return (title or words[: MAX_TITLE - 1]).rstrip(",.;:—-") + "…"


def custom_prompt(
    track: str, text: str, session: int | None = None, *, total_sessions: int | None = None
) -> Prompt:
    """An admin's extra topic prompt (app.yaml `prompts`), keyed by a hash of its content.

    The key stays the same across restarts, so a prompt already delivered to a pair is not
    sent to it again; editing the text makes it a new prompt. Admins write only the topic:
    the title is its first words and the prep note a generic one. Its `session`, if any, sets
    its stage by the programme's length (`total_sessions`); with none it is a substance topic.
    """
    digest = hashlib.sha256(f"{track}\n{session}\n{text}".encode()).hexdigest()[:12]
    stage: Stage = "substance"
    if session is not None and total_sessions is not None:
        stage = stage_of(min(session, total_sessions), total_sessions)
    return admin_prompt(f"custom-{digest}", track, text, stage)


def admin_prompt(key: str, track: str, text: str, stage: Stage = "substance") -> Prompt:
    """A prompt an admin wrote (app.yaml or `prompt add`): a derived title, a generic prep note."""
    clean = " ".join(text.split())
    return Prompt(
        key=key, track=track, text=clean, stage=stage, title=short_title(clean), prep=GENERIC_PREP
    )


def stage_of(session: int, total_sessions: int) -> Stage:
    """Where session `session` of a `total_sessions` programme sits in the arc.

    Session 1 is `start` (getting to know each other, the ground rules); the last is `closing`
    (reflection, and what happens to what was shared); the one before it is `commitments` when
    the programme has four or more sessions; the rest are `substance`. A one-session programme
    is only its start; a two-session one starts and closes; three have one substance session.
    """
    if session <= 1:
        return "start"
    if session >= total_sessions:
        return "closing"
    if total_sessions >= 4 and session == total_sessions - 1:
        return "commitments"
    return "substance"


def arc(total_sessions: int) -> tuple[Stage, ...]:
    """The stage of every session of a `total_sessions` programme, in order."""
    return tuple(stage_of(n, total_sessions) for n in range(1, total_sessions + 1))


def session_options(
    prompts: Sequence[Prompt],
    *,
    stage: Stage,
    tracks: Sequence[str],
    all_tracks: Sequence[str],
    substance_index: int,
    used_keys: frozenset[str],
    rng: random.Random,
    count: int = OPTIONS,
) -> tuple[Prompt, ...]:
    """Up to `count` prompts for the junior to choose from for one session, best first.

    `tracks` are the pair's tracks (in order of preference) and `all_tracks` the programme's.
    Substance sessions take turns over the pair's tracks (`substance_index` counts the
    substance sessions before this one), and the options mix the tracks; the other stages
    draw from all the pair's tracks. Prompts in `used_keys` (the pair had them) never come
    back. When the stage runs dry on the pair's tracks, the rest come from the same stage on
    the programme's other tracks, then substance ones, then any: a long programme on a
    small catalogue still gets a topic every session.

    Deterministic for a given `rng` seed whatever order `prompts` came in, so a redo after a
    crash offers (and defaults to) the same prompts.
    """
    fresh = sorted((p for p in prompts if p.key not in used_keys), key=lambda p: p.key)
    own = list(tracks) or list(all_tracks)
    if stage == "substance":
        turn = substance_index % len(own)
        own = own[turn:] + own[:turn]  # this session's lead track first
    others = [t for t in all_tracks if t not in own]
    # One shuffle per track from the same seeded rng: every entry can come up first.
    pools: dict[str, list[Prompt]] = {}
    for track in (*own, *others):
        pool = [p for p in fresh if p.track == track]
        rng.shuffle(pool)
        pools[track] = pool
    chosen: list[Prompt] = []
    tiers: tuple[tuple[list[str], Callable[[Prompt], bool]], ...] = (
        (own, lambda p: p.stage == stage),
        (others, lambda p: p.stage == stage),
        (own, lambda p: p.stage == "substance"),
        ([*own, *others], lambda _: True),
    )
    for tier_tracks, fits in tiers:
        candidates = [[p for p in pools[t] if fits(p) and p not in chosen] for t in tier_tracks]
        # Round-robin over the tracks, so two or three options span the pair's tracks.
        for row in itertools.zip_longest(*candidates):
            for prompt in row:
                if prompt is not None and len(chosen) < count:
                    chosen.append(prompt)
        if len(chosen) >= count:
            break
    return tuple(chosen)


def pair_tracks(
    mentor_teaches: Iterable[str],
    mentee_learns: Iterable[str],
    programme_tracks: Sequence[str],
) -> tuple[str, ...]:
    """The tracks a pair's topics draw from, always within `programme_tracks`.

    The tracks of the topics they share (what the junior teaches and the senior wants to
    learn), most shared first; else the tracks of what the senior wants to learn; else every
    programme track. Topics not in the shipped list belong to no track.
    """
    track_of = {label: track for track, labels in _shipped_topics().items() for label in labels}

    def tracks_of(labels: Iterable[str]) -> tuple[str, ...]:
        counts: dict[str, int] = {}
        for label in labels:
            shipped = canonical_topic(label)
            track = track_of.get(shipped) if shipped else None
            if track is not None and track in programme_tracks:
                counts[track] = counts.get(track, 0) + 1
        order = {t: i for i, t in enumerate(programme_tracks)}
        return tuple(sorted(counts, key=lambda t: (-counts[t], order[t])))

    learns = {canonical_topic(t) or t for t in mentee_learns}
    shared = [t for t in mentor_teaches if (canonical_topic(t) or t) in learns]
    return tracks_of(shared) or tracks_of(mentee_learns) or tuple(programme_tracks)


def _prompt(item: Any, *, track: str, where: str) -> Prompt:
    if not isinstance(item, dict):
        raise CatalogueError(f"{where}: each entry must be a mapping with {_FIELD_LIST}")
    key = item.get("key")
    if not isinstance(key, str) or len(key) > MAX_KEY or not _KEY.fullmatch(key):
        raise CatalogueError(
            f"{where}: key {key!r} must be a lowercase slug like tech-sub-ai-tools, "
            f"at most {MAX_KEY} characters"
        )
    where = f"{where}: {key}"
    if set(item) != _PROMPT_FIELDS:
        unknown = ", ".join(sorted(map(str, set(item) - _PROMPT_FIELDS)))
        missing = ", ".join(sorted(_PROMPT_FIELDS - set(item)))
        problem = f"unknown field(s) {unknown}" if unknown else f"missing field(s) {missing}"
        raise CatalogueError(f"{where}: {problem}; use {_FIELD_LIST}")
    stage = item["stage"]
    if stage not in STAGES:
        raise CatalogueError(f"{where}: stage {stage!r} must be one of {', '.join(STAGES)}")
    title = item["title"]
    if not isinstance(title, str) or not 3 <= len(title.strip()) <= MAX_TITLE:
        raise CatalogueError(f"{where}: title must be 3 to {MAX_TITLE} characters (a button)")
    texts = {}
    for field in ("topic", "prep"):
        value = item[field]
        if not isinstance(value, str) or not 10 <= len(value.strip()) <= 1000:
            raise CatalogueError(f"{where}: {field} must be 10 to 1000 characters")
        texts[field] = " ".join(value.split())
    return Prompt(
        key=key,
        track=track,
        text=texts["topic"],
        stage=stage,
        title=" ".join(title.split()),
        prep=texts["prep"],
    )


@functools.cache
def _shipped_prompts() -> tuple[Prompt, ...]:
    return parse_prompts(_read("prompts.yaml"), tracks=_shipped_topics().keys())


# --- files -----------------------------------------------------------------------------------


def _read(name: str) -> str:
    return resources.files("conversations.data").joinpath(name).read_text(encoding="utf-8")


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CatalogueError(f"{source}: not valid YAML: {err}") from err


def configured_prompts(config: AppConfig) -> tuple[Prompt, ...]:
    """The shipped catalogue plus app.yaml `prompts`, on the programme's tracks."""
    total = config.programme.sessions
    extra = tuple(
        custom_prompt(p.track, p.text, p.session, total_sessions=total) for p in config.prompts
    )
    tracks = set(config.programme.tracks)
    return tuple(p for p in (*load_prompts(), *extra) if p.track in tracks)
