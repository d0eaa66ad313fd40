"""The tasks app's models, one module per concern; everything is importable from here."""

from tasks.models.audit import AuditEvent
from tasks.models.catalogue import Category, Item, Plan, Task
from tasks.models.changes import ChangeRequest
from tasks.models.declarations import (
    Commitment,
    Contacts,
    Declaration,
    RowValues,
    derive_school_status,
    summarise,
)
from tasks.models.extensions import Extension
from tasks.models.notices import Mail, Notice
from tasks.models.reporting import (
    EvidenceFile,
    ProvinceDeadline,
    ProvinceSummaryReport,
    ReportingYear,
    ReportRow,
    UnitReport,
)
from tasks.models.requirements import RequiredItem, Requirement
from tasks.models.rounds import Round

__all__ = [
    "AuditEvent",
    "Category",
    "ChangeRequest",
    "Commitment",
    "Contacts",
    "Declaration",
    "EvidenceFile",
    "Extension",
    "Item",
    "Mail",
    "Notice",
    "Plan",
    "ProvinceDeadline",
    "ProvinceSummaryReport",
    "ReportRow",
    "ReportingYear",
    "RequiredItem",
    "Requirement",
    "Round",
    "RowValues",
    "Task",
    "UnitReport",
    "derive_school_status",
    "summarise",
]
