"""Checks of single roster cells, cached: a large roster repeats the same few values."""

from __future__ import annotations

import functools
import re
import zoneinfo

from conversations.config import check_timezone

_TOPIC_SEPARATOR = re.compile(r"[;\r\n]")


@functools.lru_cache(maxsize=4096)
def split_topics(raw: str) -> tuple[str, ...]:
    """A cell's topics: split on `;` or new lines, spaces tidied, repeats dropped."""
    # Cached: rows of one roster repeat the same few topic lists, and this is the slow part.
    seen: dict[str, str] = {}
    for part in _TOPIC_SEPARATOR.split(raw):
        topic = " ".join(part.split())
        if topic:
            seen.setdefault(topic.casefold(), topic)
    return tuple(seen.values())


@functools.lru_cache(maxsize=1024)
def timezone_problem(name: str) -> str | None:
    """What is wrong with a time zone cell, with the likely zone meant; None: nothing."""
    # Cached: a million rows share a handful of zones, and each miss may touch the filesystem.
    try:
        check_timezone(name)
    except OSError:  # ZoneInfo("Europe") opens a directory and raises IsADirectoryError
        return f"must be an IANA time zone name such as Europe/London, got {name!r}"
    except ValueError as err:
        close = _zones_by_folded_name().get(name.casefold().replace(" ", "_"))
        return f"{err}; did you mean {close}?" if close else str(err)
    return None


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    # Only built when a zone is wrong: listing every zone walks the tzdata package (~50 ms).
    return {z.casefold(): z for z in zoneinfo.available_timezones()}
