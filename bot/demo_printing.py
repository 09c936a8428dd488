"""How the demo prints: the first few messages of each kind in full, the followed pair's
dated, the rest counted (`DemoSender`), and the tour's headings."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import TextIO

from adapters.console.sender import ConsoleSender
from bot.clock import SimulatedClock
from conversations.types import Address, Delivery, OutgoingMessage

SHOW_PER_KIND = 2  # the demo prints a couple of each scheduled message, then counts the rest
FEATURED_IN_FULL = 4  # the followed pair's messages of one kind printed in full, then in brief


class DemoSender(ConsoleSender):
    """Prints the first few messages of each kind in full, then only counts them.

    People in `featured` always have their messages printed, dated: the demo follows one pair
    through the whole programme.
    """

    def __init__(self, out: TextIO, names: dict[str, str], clock: SimulatedClock) -> None:
        super().__init__(out, names=lambda email: names.get(email, email), clock=clock.now)
        self.shown: Counter[str] = Counter()
        self.hidden: Counter[str] = Counter()
        self.quiet = False  # True while scheduled messages go out in bulk
        self.featured: set[str] = set()
        self._last_day = ""

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Print, or (in bulk) just count once enough of this kind were shown."""
        featured = address.conversation_id in self.featured
        # While following a pair, only an admin's heads-up about someone else is worth showing.
        limited = not self.featured or message.kind == "admin_notice"
        show = featured or not self.quiet or (limited and self.shown[message.kind] < SHOW_PER_KIND)
        if show:
            self.shown[message.kind] += 1
            if featured:
                day = f"{self.clock():%a %d %b %Y, %H:%M} UTC"
                if day != self._last_day:
                    print(f"\n  ── {day}", file=self.out)
                    self._last_day = day
                if self.shown[message.kind] > FEATURED_IN_FULL:
                    # Seen this kind in full already: one line keeps six months readable.
                    who = self.names(address.conversation_id).split(" (")[0]
                    first = message.fallback_text.splitlines()[0].replace("*", "")
                    print(f"→ {who} ({message.kind}): {textwrap.shorten(first, 70)}", file=self.out)
                    self.silent = True
                    return await super().send(message, address)
        else:
            self.hidden[message.kind] += 1
        self.silent = not show
        return await super().send(message, address)

    def summarise_hidden(self) -> None:
        """One line for the messages that were sent but not printed."""
        for kind, count in sorted(self.hidden.items()):
            print(f"\n  … and {count} more `{kind}` messages.", file=self.out)
        self.hidden.clear()


def heading(out: TextIO, text: str) -> None:
    """A numbered step of the tour, as a ruled line."""
    print(f"\n\n━━ {text} " + "━" * max(3, 76 - len(text)), file=out)
