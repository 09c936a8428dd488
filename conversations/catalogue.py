"""The shipped topic list and prompt catalogue (`conversations/data/*.yaml`).

Both files are package data read through `importlib.resources`, so they load the same from a
source checkout and from an installed wheel. They are validated on load: a bad edit fails at
start-up with a message naming the entry, not weeks later when a prompt is due.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

import yaml

PromptKind = Literal["topic", "prep"]
KINDS: tuple[PromptKind, ...] = get_args(PromptKind)
CATALOGUE_SESSIONS = 6  # the shipped prompts are written for a six-session programme
MAX_TOPIC_LENGTH = 100  # the roster accepts topics up to this long
_TRACK = re.compile(r"[a-z][a-z0-9_-]{0,39}")  # as `config.Track`
_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PROMPT_FIELDS = frozenset({"key", "session", "text"})


class CatalogueError(ValueError):
    """A data file breaks a rule; the message names the file and the entry."""


@dataclass(frozen=True)
class Prompt:
    """One conversation prompt.

    `topic` prompts go to the pair (written to the senior: "ask your mentor to…"); `prep`
    prompts go privately to the junior mentor before a session. `session` is the session the
    prompt suits best, or None for any; `key` is stable, so deliveries can refer to it.
    """

    key: str
    track: str
    text: str
    session: int | None
    kind: PromptKind


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


# --- prompts ---------------------------------------------------------------------------------


def load_prompts() -> tuple[Prompt, ...]:
    """The shipped prompt catalogue, validated against the shipped tracks."""
    return _shipped_prompts()


def parse_prompts(
    text: str, *, tracks: Iterable[str], source: str = "prompts.yaml"
) -> tuple[Prompt, ...]:
    """Parse and validate a prompts document: kind → track → list of {key, session, text}.

    Keys must be unique slugs, kinds `topic` or `prep`, tracks among `tracks`, sessions
    whole numbers from 1 to 52 or null, texts 10 to 1000 characters.
    """
    known_tracks = frozenset(tracks)
    document = _load_yaml(text, source)
    if not isinstance(document, dict):
        raise CatalogueError(f"{source}: expected a mapping of kind → track → prompts")
    prompts: list[Prompt] = []
    keys: set[str] = set()
    for kind, by_track in document.items():
        if kind not in KINDS:
            raise CatalogueError(f"{source}: unknown kind {kind!r}; expected topic or prep")
        if not isinstance(by_track, dict):
            raise CatalogueError(f"{source}: {kind}: expected a mapping of track → prompts")
        for track, items in by_track.items():
            if track not in known_tracks:
                allowed = ", ".join(sorted(known_tracks))
                raise CatalogueError(f"{source}: {kind}: unknown track {track!r}; use {allowed}")
            if not isinstance(items, list):
                raise CatalogueError(f"{source}: {kind}: {track}: expected a list of prompts")
            for item in items:
                prompt = _prompt(item, kind=kind, track=track, where=f"{source}: {kind}: {track}")
                if prompt.key in keys:
                    raise CatalogueError(f"{source}: key {prompt.key!r} is used twice")
                keys.add(prompt.key)
                prompts.append(prompt)
    return tuple(prompts)


def custom_prompt(track: str, text: str, session: int | None = None) -> Prompt:
    """An admin's extra topic prompt (app.yaml `prompts`), keyed by a hash of its content.

    The key stays the same across restarts, so a prompt already delivered to a pair is not
    sent to it again; editing the text makes it a new prompt.
    """
    digest = hashlib.sha256(f"{track}\n{session}\n{text}".encode()).hexdigest()[:12]
    return Prompt(key=f"custom-{digest}", track=track, text=text, session=session, kind="topic")


def pick_prompt(
    prompts: Sequence[Prompt],
    *,
    track: str,
    session: int | None,
    used_keys: frozenset[str],
    rng: random.Random,
    kind: PromptKind = "topic",
    total_sessions: int | None = None,
) -> Prompt | None:
    """Choose a prompt of `kind` on `track` whose key is not in `used_keys`, or None.

    Preference: prompts written for this session; then prompts for any session; then prompts
    for the nearest other session. Ties are broken by `rng` over candidates sorted by key, so
    the same inputs and seed give the same prompt whatever order `prompts` came in.

    With `total_sessions` (the programme's length), session numbers are mapped onto the
    catalogue's six, so the first session still gets getting-to-know-you prompts and the last
    one gets commitments and reflection in a programme of four or twelve sessions.
    """
    target = session
    if session is not None and total_sessions is not None:
        target = catalogue_session(session, total_sessions)
    best: list[Prompt] = []
    best_rank: int | None = None
    for prompt in prompts:
        if prompt.kind != kind or prompt.track != track or prompt.key in used_keys:
            continue
        rank = _rank(prompt.session, target)
        if best_rank is None or rank < best_rank:
            best, best_rank = [prompt], rank
        elif rank == best_rank:
            best.append(prompt)
    if not best:
        return None
    best.sort(key=lambda p: p.key)
    return rng.choice(best)


def catalogue_session(session: int, total_sessions: int) -> int:
    """Map session `session` of a `total_sessions` programme onto the catalogue's 1..6.

    First stays first, last becomes the catalogue's last, the middle ones spread over 2..5.
    """
    if total_sessions == CATALOGUE_SESSIONS:
        return session
    if session <= 1:
        return 1
    if session >= total_sessions:
        return CATALOGUE_SESSIONS
    middle = CATALOGUE_SESSIONS - 2  # catalogue sessions 2..5
    fraction = (session - 2) / (total_sessions - 3) if total_sessions > 3 else 0.5
    return 2 + round(fraction * (middle - 1))


def _rank(prompt_session: int | None, target: int | None) -> int:
    if target is None or prompt_session == target:
        return 0
    if prompt_session is None:
        return 1
    return 1 + abs(prompt_session - target)


def _prompt(item: Any, *, kind: PromptKind, track: str, where: str) -> Prompt:
    if not isinstance(item, dict):
        raise CatalogueError(f"{where}: each prompt must be a mapping with key, session, text")
    key = item.get("key")
    if not isinstance(key, str) or len(key) > 80 or not _KEY.fullmatch(key):
        raise CatalogueError(f"{where}: key {key!r} must be a lowercase slug like tech-s1-goals")
    where = f"{where}: {key}"
    if set(item) - _PROMPT_FIELDS:
        unknown = ", ".join(sorted(map(str, set(item) - _PROMPT_FIELDS)))
        raise CatalogueError(f"{where}: unknown field(s) {unknown}; use key, session, text")
    session = item.get("session")
    # bool is an int in Python; `session: yes` is a typo, not session 1.
    if session is not None and (
        isinstance(session, bool) or not isinstance(session, int) or not 1 <= session <= 52
    ):
        raise CatalogueError(f"{where}: session must be a whole number from 1 to 52, or null")
    text = item.get("text")
    if not isinstance(text, str) or not 10 <= len(text.strip()) <= 1000:
        raise CatalogueError(f"{where}: text must be 10 to 1000 characters")
    return Prompt(key=key, track=track, text=" ".join(text.split()), session=session, kind=kind)


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
