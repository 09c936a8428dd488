"""What `forget` needs to find a person everywhere: their identifiers, and where text names them.

A forgotten person's identifiers are their email, name, title and every platform id we hold
(Slack user and DM channel ids, Teams user, AAD object and chat ids, the name Teams gave us).
They are gathered before anything is erased, then looked for in every free-text and JSON
column: queued messages, the audit log, answers waiting to be typed, partners' comments.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from storage.mapping import is_forgotten

# Payload keys that point at a person or at a pair (engine work uses "person" and "pair").
PERSON_KEYS = frozenset({"person_id", "person", "mentor_id", "mentee_id"})
PAIR_KEYS = frozenset({"pair_id", "pair"})
# A shorter email local part standing in for a missing name only counts as a weak identifier.
MIN_NAME_LENGTH = 3
# What a cancelled message records as its last error (see WorkQueue.cancel).
FORGOTTEN_REASON = "cancelled: a person in it asked to be forgotten"


@dataclass(frozen=True)
class Identifiers:
    """Everything that names one person, gathered before their rows are erased.

    `strong` identifiers single the person out wherever they appear: email, full name,
    platform ids. Their first name and job title are weaker (another Ana, many an "Engineer"):
    they count only in text already about the person, or sent within their circle (to them,
    to their pairs, to anyone they were paired with), where "Ana" can only mean them.
    """

    person_id: int
    pair_ids: frozenset[int] = frozenset()
    partner_ids: frozenset[int] = frozenset()
    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    platform_ids: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    _patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict, compare=False)

    @property
    def strong(self) -> tuple[str, ...]:
        """Every identifier that names the person on its own."""
        return (*self.emails, *self.names, *self.platform_ids)

    def like_needles(self) -> list[str]:
        """Lowercased substrings to pre-filter rows in SQL: each identifier as typed and as
        JSON writes it (non-ASCII characters become \\u escapes in a JSON column).

        Names are matched loosely (case, accents, spacing: see `name_spans`), so each word of
        a name is a needle on its own, as typed and without its accents: the row must hold
        at least one of them, whatever happened to the others.
        """
        needles = set()
        words = [word for name in self.names for word in name.split()]
        words += [_fold(word)[0] for word in words]
        for token in (*self.strong, *self.weak, *words):
            needles.add(token.lower())
            needles.add(json.dumps(token)[1:-1].lower())
        needles.discard("")
        return sorted(needles)

    def pattern(self, *, weak: bool = False) -> re.Pattern[str] | None:
        """One regex finding any email or platform id as a whole word (None when there is
        nothing to find); names are found by `name_spans`.

        Emails and platform ids match in any case; `weak` adds the first name and title, as
        written (a first name like "Will" must not match "will"). Boundaries keep "ana@x.com"
        out of "diana@x.com" and "Ana" out of "Banana"; a full stop ending a sentence still
        ends the match.
        """
        key = "weak" if weak else "strong"
        if key not in self._patterns:
            parts = [rf"(?i:(?<![\w.+-]){re.escape(e)}(?![\w-]|\.\w))" for e in self.emails]
            parts += [rf"(?i:(?<![\w-]){re.escape(i)}(?![\w-]))" for i in self.platform_ids]
            # A first name followed by a capitalised word is someone else's full name
            # ("Ana Diaz" when erasing Ana Lopez).
            if weak:
                parts += [rf"(?<!\w){re.escape(w)}(?!\w)(?!\s+[A-Z])" for w in self.weak]
            # Longest first: "ana@x.com" is replaced whole rather than a shorter id in it.
            parts.sort(key=len, reverse=True)
            self._patterns[key] = re.compile("|".join(parts)) if parts else None
        return self._patterns[key]

    def name_spans(self, text: str) -> list[tuple[int, int]]:
        """Where `text` names the person by one of their names, as (start, end) offsets.

        People write names as they please: "ana lopez", "ANA LOPEZ", "Ana  Lopez", "Ana
        López" for Ana Lopez (and "Ana Lopez" for Ana López). So names are compared after
        Unicode compatibility normalisation, case folding and dropping accents, with any run
        of whitespace between their words; still only as whole words ("Banana" is not Ana).
        """
        if "names" not in self._patterns:
            parts = {
                r"\s+".join(re.escape(word) for word in _fold(name)[0].split())
                for name in self.names
            }
            parts.discard("")
            alternatives = sorted(parts, key=len, reverse=True)  # longest first, as above
            self._patterns["names"] = (
                re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)") if parts else None
            )
        pattern = self._patterns["names"]
        if pattern is None or not text:
            return []
        folded, origin = _fold(text)
        spans = []
        for found in pattern.finditer(folded):
            start, end = origin[found.start()], origin[found.end() - 1] + 1
            while end < len(text) and not _fold_char(text[end]):
                end += 1  # an accent typed as a mark of its own belongs to the letter before
            spans.append((start, end))
        return spans

    def mentions(self, text: str | None, *, weak: bool = False) -> bool:
        """True when `text` names the person (by a strong identifier, or any with `weak`)."""
        if not text:
            return False
        pattern = self.pattern(weak=weak)
        return bool(pattern is not None and pattern.search(text)) or bool(self.name_spans(text))

    def scrub(self, text: str, pseudonym: str) -> str:
        """`text` with every identifier (first name and title included) replaced by
        `pseudonym`."""
        if not text:
            return text
        # Emails and platform ids first (a one-word name must not eat into "ana@x.com"), then
        # names, then what is left of first names and titles.
        strong = self.pattern()
        if strong is not None:
            text = strong.sub(pseudonym, text)
        for start, end in reversed(self.name_spans(text)):
            text = text[:start] + pseudonym + text[end:]
        weak = self.pattern(weak=True)
        return weak.sub(pseudonym, text) if weak is not None else text

    def refers_to(self, payload: Any) -> bool:
        """True when a JSON payload points at the person or one of their pairs by id."""
        return self._points_at(payload, frozenset({self.person_id}))

    def in_circle(self, payload: Any) -> bool:
        """True when a JSON payload points at the person, their pairs or their partners."""
        return self._points_at(payload, self.partner_ids | {self.person_id})

    def names_in(self, payload: Any, *texts: str | None) -> bool:
        """True when a row (its JSON payload and other text columns) names the person: by a
        strong identifier anywhere, or by first name or title within their circle."""
        weak = self.in_circle(payload)
        return any(self.mentions(text, weak=weak) for text in (*_strings(payload), *texts))

    def _points_at(self, payload: Any, people: frozenset[int]) -> bool:
        for key, value in _items(payload):
            number = _as_int(value)
            if number is None:
                continue
            if key in PERSON_KEYS and number in people:
                return True
            if key in PAIR_KEYS and number in self.pair_ids:
                return True
        return False


def gather(
    person_id: int,
    *,
    email: str,
    name: str,
    title: str,
    pair_ids: Iterable[int],
    partner_ids: Iterable[int],
    identities: Iterable[tuple[str, str, str]],
) -> Identifiers:
    """The identifiers of one person from their row, their pairs and their platform
    identities, given as (user id, DM conversation id, serialized Teams conversation
    reference)."""
    # A name-less person is shown by their email's local part (`Person.display_name`), so that
    # names them too; a very short one ("jo") is too common a word to count on its own. A row
    # forgotten before holds only the placeholder, which is no identifier.
    forgotten_before = is_forgotten(email)
    shown = name.strip() or email.split("@", 1)[0]
    strong_name = bool(name.strip()) or len(shown) >= MIN_NAME_LENGTH
    names = set() if forgotten_before or not strong_name else {shown}
    weak = set() if forgotten_before else {shown, shown.split()[0], title.strip()}
    platform_ids: set[str] = set()
    for user_id, dm_id, reference in identities:
        platform_ids.update((user_id, dm_id))
        user, conversation = _reference_parts(reference)
        platform_ids.update((str(user.get("id") or ""), str(user.get("aadObjectId") or "")))
        platform_ids.add(str(conversation.get("id") or ""))
        if str(user.get("name") or "").strip():
            names.add(str(user["name"]).strip())
    platform_ids.discard(email)  # the console's user id is the email: matched as one already
    return Identifiers(
        person_id=person_id,
        pair_ids=frozenset(pair_ids),
        partner_ids=frozenset(partner_ids) - {person_id},
        emails=(email,) if email and not forgotten_before else (),
        names=tuple(sorted(n for n in names if n)),
        platform_ids=tuple(sorted(p for p in platform_ids if p)),
        weak=tuple(sorted(w for w in weak - names if w)),
    )


def erased_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a queued message keeps once a forgotten person is erased from it: its message kind
    and a recipient given by internal ids only. Delivery bookkeeping (status, idempotency key,
    the platform's message id in `result`) lives in the row's other columns."""
    kept: dict[str, Any] = {"erased": FORGOTTEN_REASON}
    if isinstance(payload.get("kind"), str):
        kept["kind"] = payload["kind"]
    to = payload.get("to")
    if isinstance(to, Mapping) and to.get("type") in ("person", "pair"):
        kept["to"] = {k: to[k] for k in ("type", "person_id", "pair_id") if k in to}
    return kept


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """One character as names are compared: compatibility-decomposed, case-folded, accents
    dropped ("É" → "e", "ß" → "ss", a combining accent → "")."""
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(text: str) -> tuple[str, list[int]]:
    """`text` folded character by character (`_fold_char`), with the offset in `text` each
    folded character came from, so a match in the folded text maps back to the original."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for piece in _fold_char(char):
            folded.append(piece)
            origin.append(index)
    return "".join(folded), origin


def _reference_parts(reference: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        data = json.loads(reference) if reference else {}
    except ValueError:
        return {}, {}
    if not isinstance(data, dict):
        return {}, {}
    user, conversation = data.get("user"), data.get("conversation")
    return (
        user if isinstance(user, dict) else {},
        conversation if isinstance(conversation, dict) else {},
    )


def _items(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair at any depth of a JSON value."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key), inner
            yield from _items(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _items(inner)


def _strings(value: Any) -> Iterator[str]:
    """Every string (keys included) at any depth of a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key)
            yield from _strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _strings(inner)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
