"""`Directory.forget` in memory: the same erasure as `storage.sql_forget.Forgetting.forget`,
table by table, with the same rules for finding a person in text (`storage.sql_erasure`, pure
Python)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from conversations.types import ENDING_NOTICE, Status
from storage.mapping import forgotten_email
from storage.sql_erasure import FORGOTTEN_REASON, Identifiers, erased_payload, gather
from tests.inmemory.tables import Tables

UNSENT = ("pending", "leased", "failed")


class FakeErasure(Tables):
    """`forget`: erase a person, keeping only anonymous counts and pair history."""

    async def forget(self, person_id: int, *, at: datetime) -> None:
        """Erase a person's personal data (see `storage.sql_forget.Forgetting.forget`)."""
        person = self.person(person_id)
        found = self._identifiers(person_id)
        pseudonym = forgotten_email(person_id)
        self._erase_from_queue(found, pseudonym, at)
        self.audit_log[:] = [
            dataclasses.replace(
                entry,
                actor=found.scrub(entry.actor, pseudonym),
                detail=found.scrub(entry.detail, pseudonym),
            )
            if found.mentions(entry.actor) or found.mentions(entry.detail)
            else entry
            for entry in self.audit_log
        ]
        self._erase_answers(found, pseudonym)
        self.pending = {
            who: waiting
            for who, waiting in self.pending.items()
            if who != person_id and not found.names_in(dict(waiting.context))
        }
        self._erase_concerns(found, pseudonym)
        for prompt in self.prompts.values():
            if found.mentions(prompt.text):
                prompt.text = found.scrub(prompt.text, pseudonym)
        for pair_id in found.pair_ids:
            self.pairs[pair_id] = dataclasses.replace(
                self.pairs[pair_id],
                reasons=(),
                conversation_ids={},
                mentor_accepted_at=None,
                mentee_accepted_at=None,
            )
        for key, session in self.sessions.items():
            if session.reported_by == person_id:
                self.sessions[key] = dataclasses.replace(session, reported_by=None)
        self.identities = [i for i in self.identities if i.person_id != person_id]
        self.people[person_id] = dataclasses.replace(
            person,
            email=pseudonym,
            name="",
            title="",
            department="",
            timezone="",
            teaches=(),
            learns=(),
            manager_id=None,
            paused_until=None,
            paused_since=None,
            first_in_line=False,
            status=Status.LEFT,
        )
        self.updated_at[person_id] = at

    def _identifiers(self, person_id: int) -> Identifiers:
        person = self.people[person_id]
        pairs = [p for p in self.pairs.values() if person_id in (p.mentor_id, p.mentee_id)]
        return gather(
            person_id,
            email=person.email,
            name=person.name,
            title=person.title,
            pair_ids=[p.id for p in pairs],
            partner_ids=[who for p in pairs for who in (p.mentor_id, p.mentee_id)],
            identities=[
                (i.user_id, i.dm_conversation_id, i.reference)
                for i in self.identities
                if i.person_id == person_id
            ],
        )

    def _erase_from_queue(self, found: Identifiers, pseudonym: str, at: datetime) -> None:
        for row in self.work.values():
            named = found.names_in(row.payload, row.key, row.last_error, row.result)
            # The team's notice that a pair ended does not name them: it still goes.
            spared = not named and row.key.startswith(ENDING_NOTICE)
            stop = row.status in UNSENT and (named or found.refers_to(row.payload)) and not spared
            if named:
                row.payload = erased_payload(row.payload)
                row.key = found.scrub(row.key, pseudonym)
                row.last_error = found.scrub(row.last_error, pseudonym)
                row.result = found.scrub(row.result, pseudonym)
            if stop:
                row.status, row.last_error, row.done_at = "cancelled", FORGOTTEN_REASON, at
                row.lease_until, row.payload = None, {}

    def _erase_answers(self, found: Identifiers, pseudonym: str) -> None:
        self.pulses = {k: v for k, v in self.pulses.items() if v.person_id != found.person_id}
        self.surveys = {k: v for k, v in self.surveys.items() if k[0] != found.person_id}
        for pulse in self.pulses.values():
            if pulse.comment and found.mentions(
                pulse.comment, weak=pulse.pair_id in found.pair_ids
            ):
                pulse.comment = found.scrub(pulse.comment, pseudonym)

    def _erase_concerns(self, found: Identifiers, pseudonym: str) -> None:
        for concern in self.concerns.values():
            if concern.sender_id == found.person_id:
                concern.sender_id, concern.pair_id, concern.text = None, None, ""
            elif concern.text and found.mentions(
                concern.text, weak=concern.pair_id in found.pair_ids
            ):
                concern.text = found.scrub(concern.text, pseudonym)
