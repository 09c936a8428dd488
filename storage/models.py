"""SQLAlchemy models for the whole data model (docs/architecture.md, "The data model").

Rows stay inside `storage/`: repositories map them to the frozen dataclasses of
`conversations.types.records`. Column types are chosen to behave the same on SQLite and PostgreSQL;
enumerations are stored as short strings (no native ENUM types) so new values need no migration.

The tables live by area (`storage.tables_people`, `tables_programme`, `tables_outbox`,
`tables_admin`) on one `Base` (`storage.schema`); this module names them all, so importing it
registers every table on `Base.metadata` (what Alembic and the test fixtures read).
"""

from __future__ import annotations

from storage.schema import NAMING_CONVENTION, Base, UTCDateTime
from storage.tables_admin import (
    AdminLinkRow,
    AdminSessionRow,
    AuditRow,
    ConcernRow,
    HealthCheckRow,
    PublishedAggregateRow,
)
from storage.tables_outbox import DueWorkRow, ProcessedEventRow
from storage.tables_people import IdentityRow, PersonRow
from storage.tables_programme import (
    CycleRow,
    PairEndingRow,
    PairRow,
    PendingInputRow,
    ProgrammeRow,
    PromptDeliveryRow,
    PromptRow,
    PulseResponseRow,
    SessionRow,
    SurveyAnswerRow,
)

__all__ = [
    "NAMING_CONVENTION",
    "AdminLinkRow",
    "AdminSessionRow",
    "AuditRow",
    "Base",
    "ConcernRow",
    "CycleRow",
    "DueWorkRow",
    "HealthCheckRow",
    "IdentityRow",
    "PairEndingRow",
    "PairRow",
    "PendingInputRow",
    "PersonRow",
    "ProcessedEventRow",
    "ProgrammeRow",
    "PromptDeliveryRow",
    "PromptRow",
    "PublishedAggregateRow",
    "PulseResponseRow",
    "SessionRow",
    "SurveyAnswerRow",
    "UTCDateTime",
]
