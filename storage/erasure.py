"""What `forget` needs to find a person everywhere: their identifiers, and where text names them.

A forgotten person's identifiers are their email, name, title and every platform id we hold
(Slack user and DM channel ids, Teams user, AAD object and chat ids, the name Teams gave us).
They are gathered before anything is erased, then looked for in every free-text and JSON
column: queued messages, the audit log, answers waiting to be typed, partners' comments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
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
    _patterns: dict[bool, re.Pattern[str] | None] = field(default_factory=dict, compare=False)

    @property
    def strong(self) -> tuple[str, ...]:
        """Every identifier that names the person on its own."""
        return (*self.emails, *self.names, *self.platform_ids)

    def like_needles(self) -> list[str]:
        """Lowercased substrings to pre-filter rows in SQL: each identifier as typed and as
        JSON writes it (non-ASCII characters become \\u escapes in a JSON column)."""
        needles = set()
        for token in (*self.strong, *self.weak):
            needles.add(token.lower())
            needles.add(json.dumps(token)[1:-1].lower())
        return sorted(needles)

    def pattern(self, *, weak: bool = False) -> re.Pattern[str] | None:
        """One regex finding any identifier as a whole word (None when there is nothing to find).

        Emails and platform ids match in any case, names and titles as written (a name like
        "Will" must not match "will"). Boundaries keep "ana@x.com" out of "diana@x.com" and
        "Ana" out of "Banana"; a full stop ending a sentence still ends the match. `weak` adds
        the first name and title.
        """
        if weak not in self._patterns:
            parts = [rf"(?i:(?<![\w.+-]){re.escape(e)}(?![\w-]|\.\w))" for e in self.emails]
            parts += [rf"(?i:(?<![\w-]){re.escape(i)}(?![\w-]))" for i in self.platform_ids]
            parts += [rf"(?<!\w){re.escape(n)}(?!\w)" for n in self.names]
            # A first name followed by a capitalised word is someone else's full name
            # ("Ana Diaz" when erasing Ana Lopez).
            if weak:
                parts += [rf"(?<!\w){re.escape(w)}(?!\w)(?!\s+[A-Z])" for w in self.weak]
            # Longest first: "Ana Lopez" is replaced whole rather than leaving "Lopez".
            parts.sort(key=len, reverse=True)
            self._patterns[weak] = re.compile("|".join(parts)) if parts else None
        return self._patterns[weak]

    def mentions(self, text: str | None, *, weak: bool = False) -> bool:
        """True when `text` names the person (by a strong identifier, or any with `weak`)."""
        pattern = self.pattern(weak=weak)
        return bool(text and pattern is not None and pattern.search(text))

    def scrub(self, text: str, pseudonym: str) -> str:
        """`text` with every identifier (first name and title included) replaced by
        `pseudonym`."""
        pattern = self.pattern(weak=True)
        return pattern.sub(pseudonym, text) if pattern is not None and text else text

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


def coarse_time(at: datetime) -> datetime:
    """The moment an anonymous answer is kept at: noon UTC on the Monday of its week.

    Weekly and monthly trends still place it right (noon keeps it on that Monday in every
    time zone from UTC-11 to UTC+11), but it can no longer be lined up with one pair's
    session to the minute.
    """
    day = at.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(12), tzinfo=UTC)


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
