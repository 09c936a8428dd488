"""Who reads what is meant for the programme team only.

One rule for every such notice — a concern, a pair's ending and its reason, a missed-session
escalation, a pair that says it is stuck, a proposal nobody answered: the people named in
`privacy.concern_contacts` who can still read messages, else the admins who can; never anyone
in `excluded` (the pair's own members, the sender). A senior who is also an admin must not read
what the programme team is told about his own pairing.
"""

from __future__ import annotations

from collections.abc import Collection

from conversations.context import Context
from conversations.types import Person, Status

# Contacts who cannot read anything any more (removed from the roster, or unreachable).
CANNOT_READ = (Status.INACTIVE, Status.UNREACHABLE)


def can_read(person: Person) -> bool:
    """Whether a contact or admin can still read what the bot sends them."""
    return person.status not in CANNOT_READ


async def recipients_for(ctx: Context, excluded: Collection[int]) -> list[Person]:
    """The programme team for one notice: the concern contacts in the directory who can read,
    leaving out `excluded`; when none is left, the admins on the same terms; maybe nobody."""
    for emails in (ctx.config.privacy.concern_contacts, ctx.config.admins):
        found: list[Person] = []
        for email in dict.fromkeys(e.casefold() for e in emails):
            person = await ctx.people.person_by_email(email)
            if person is None or person.id in excluded or not can_read(person):
                continue
            found.append(person)
        if found:
            return found
    return []
