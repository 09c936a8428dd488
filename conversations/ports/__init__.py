"""The role-sized Protocols through which the engine reaches storage, time and the platforms.

`storage/` implements every one on SQLAlchemy (`storage.store.SqlStore`); `tests/fakes.py`
implements every one in memory. Each speaks in the frozen dataclasses of `conversations.types`,
never in ORM rows. Import the names from here.
"""

from conversations.ports.answers import Answers
from conversations.ports.audit import AuditLog
from conversations.ports.clock import Clock
from conversations.ports.concern_box import Concerns
from conversations.ports.directory import Directory
from conversations.ports.links import AdminLinks
from conversations.ports.pair_book import PairConflict, Pairs
from conversations.ports.premise_facts import Premises
from conversations.ports.prompt_log import PromptLog
from conversations.ports.queue import DELIVER, DueWork, NewWork, WorkQueue
from conversations.ports.reports import Reports
from conversations.ports.senders import HandleEvent, Sender, SendFailed
from conversations.ports.sessions import Sessions
from conversations.ports.store import Store
from conversations.ports.waiting import WaitingLines

__all__ = [
    "DELIVER",
    "AdminLinks",
    "Answers",
    "AuditLog",
    "Clock",
    "Concerns",
    "Directory",
    "DueWork",
    "HandleEvent",
    "NewWork",
    "PairConflict",
    "Pairs",
    "Premises",
    "PromptLog",
    "Reports",
    "SendFailed",
    "Sender",
    "Sessions",
    "Store",
    "WaitingLines",
    "WorkQueue",
]
