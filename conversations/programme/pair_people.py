"""A pair's two people, and the pair a button names checked against whoever tapped it."""

from __future__ import annotations

from conversations.context import Context, Turn
from conversations.types import Pair, Person


async def partners(ctx: Context, pair: Pair) -> tuple[Person, Person] | None:
    """The pair's mentor and mentee, or None when either is gone from the directory."""
    mentor = await ctx.people.get_person(pair.mentor_id)
    mentee = await ctx.people.get_person(pair.mentee_id)
    if mentor is None or mentee is None:
        return None
    return mentor, mentee


async def tapped_pair(
    ctx: Context, turn: Turn, value: str, parts: int
) -> tuple[Pair, Person, Person, list[str]] | None:
    """Parse "PAIR:…" and check the person tapping is in that pair: (pair, me, partner, rest).
    Only a partner of the pair named in a button's value can act on it."""
    fields = value.split(":")
    if len(fields) != parts or not fields[0].isdigit() or turn.person is None:
        return None
    pair = await ctx.pairs.get_pair(int(fields[0]))
    if pair is None or turn.person.id not in (pair.mentor_id, pair.mentee_id):
        return None
    people = await partners(ctx, pair)
    if people is None:
        return None
    me, partner = people if people[0].id == turn.person.id else (people[1], people[0])
    return pair, me, partner, fields[1:]
