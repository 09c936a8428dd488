"""How the demo's simulated people answer the buttons they are sent (`DemoPeople`)."""

from __future__ import annotations

import random
from typing import TextIO

from bot.simulation import Received, Simulation, button
from conversations.types import Button, Pair, actions

# The closing survey's questions, named in the transcript next to the button tapped.
CLOSING_LABELS = {
    "open": "could you speak openly?",
    "again": "would you take part again?",
    "reciprocal": "mentor your mentor in return?",
}


class DemoPeople:
    """How the demo's people answer. The followed pair has a realistic run (a session moved,
    one they couldn't hold, one forgotten until the nudge); everyone else mostly meets."""

    def __init__(
        self, pair: Pair, mentor: str, mentee: str, rng: random.Random, out: TextIO
    ) -> None:
        self.pair, self.mentor, self.mentee, self.rng, self.out = pair, mentor, mentee, rng, out
        self.moved: set[int] = set()
        # Its own generator, so the closing's answers leave every other answer as it was.
        self.open_rng = random.Random(13)

    async def __call__(self, sim: Simulation, got: Received) -> None:
        message, who = got.message, got.email
        buttons = {b.action_id for b in message.buttons()}
        featured = who in (self.mentor, self.mentee)
        value = message.buttons()[0].value if message.buttons() else ""
        fields = value.split(":")
        session = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
        choice: str | None = None
        suffix = ""
        if actions.MEETING_MET in buttons:
            if featured and not value.startswith(f"{self.pair.id}:"):
                return
            if featured:
                if who != self.mentee:
                    return  # one answer per pair: the senior's
                choice, suffix = self._followed(message.kind, session)
            elif self.rng.random() < 0.5:  # each partner's copy: about one answer per pair
                roll = self.rng.random()
                choice = (
                    actions.MEETING_MET
                    if roll < 0.85
                    else (actions.MEETING_MISSED if roll < 0.95 else None)
                )
        elif actions.GROUND_RULES_AGREE in buttons:
            choice = actions.GROUND_RULES_AGREE  # session 1: each partner agrees, once
        elif actions.TOPIC_CHOOSE in buttons and message.kind == "prep":
            # The junior picks the session's topic (the followed one, always the second).
            index = 1 if featured else self.rng.randrange(len(message.buttons()))
            suffix = message.buttons()[min(index, len(message.buttons()) - 1)].value
            choice = actions.TOPIC_CHOOSE
        elif actions.MISSED_REASON in buttons:  # asked privately: a reason, never a name
            choice, suffix = actions.MISSED_REASON, ":diary"
        elif actions.PULSE_RATE in buttons:
            choice, suffix = actions.PULSE_RATE, f":{self.rng.choice((3, 4, 4, 5, 5))}"
        elif actions.CHECKIN_ANSWER in buttons:
            choice, suffix = actions.CHECKIN_ANSWER, self.rng.choice((":good", ":good", ":ok"))
        elif actions.CLOSING_ANSWER in buttons:
            # Both questions of the one message: could they speak openly (most could), and
            # would they take part again.
            opened = self.open_rng.choice(("yes",) * 5 + ("mostly",) * 3 + ("no",))
            await self._tap(
                sim, got, featured, button(message, actions.CLOSING_ANSWER, f"open:{opened}")
            )
            choice, suffix = actions.CLOSING_ANSWER, "again:yes"
        elif actions.FOLLOWUP_TRIED in buttons:
            choice, suffix = actions.FOLLOWUP_TRIED, ":yes"
        elif actions.PULSE_SHARE in buttons:
            choice, suffix = actions.PULSE_SHARE, ":yes"
        if choice is None:
            return
        await self._tap(sim, got, featured, button(message, choice, suffix))
        if featured and choice == actions.PULSE_RATE and who == self.mentee and session == 1:
            line = "I'll try recording my Monday update as a short video."
            print(f"\n  {who.split('@')[0]} types: {line}", file=self.out)
            await sim.say(who, line)

    async def _tap(self, sim: Simulation, got: Received, featured: bool, pressed: Button) -> None:
        """Press `pressed`; the followed pair's taps are printed, with the question asked
        when one message asks several."""
        if featured:
            fields = pressed.value.split(":")
            question = CLOSING_LABELS.get(fields[1]) if len(fields) == 3 else None
            about = f" ({question})" if pressed.action_id == actions.CLOSING_ANSWER else ""
            print(f"\n  {got.email.split('@')[0]} taps: {pressed.label}{about}", file=self.out)
        await sim.tap(got.email, pressed, message_id=got.message_id)

    def _followed(self, kind: str, session: int) -> tuple[str | None, str]:
        if session == 2 and session not in self.moved:
            self.moved.add(session)
            return actions.MEETING_RESCHEDULED, ":7"
        if session == 3:
            return actions.MEETING_MISSED, ""
        if session == 4 and kind == "did_you_meet":
            return None, ""  # forgotten: the nudge a week later brings the answer
        return actions.MEETING_MET, ""
