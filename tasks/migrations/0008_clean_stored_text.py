"""Text stored before the normaliser (tizhi.lib.text) is put through it: the catalogue, the
rounds' instructions and contacts, review comments, yearly report texts and file names. A
vertical tab in any of them stopped every export that wrote it. Idempotent and batched.

AuditEvent is left alone: its `changes` are JSON shown on pages, never written to a workbook.
"""

from django.db import migrations

from tizhi.lib.stored_text import clean_stored_text

COLUMNS = {
    "Plan": {"single_line": ("name", "document_no")},
    "Category": {"single_line": ("name",)},
    "Task": {"single_line": ("departments",), "multi_line": ("text",)},
    "Item": {"multi_line": ("text",)},
    "Round": {
        "single_line": ("contact1_name", "contact1_phone", "contact2_name", "contact2_phone"),
        "multi_line": ("instructions",),
    },
    "Commitment": {"multi_line": ("comment",)},
    "UnitReport": {
        "single_line": ("annual_report_name",),
        "multi_line": ("evaluation_comment", "return_comment"),
    },
    "ReportRow": {"multi_line": ("narrative", "explanation")},
    "EvidenceFile": {"single_line": ("original_name",)},
    "ProvinceSummaryReport": {"single_line": ("original_name",)},
}


def clean_tasks(apps, schema_editor):
    for model, columns in COLUMNS.items():
        clean_stored_text(apps.get_model("tasks", model), **columns)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0007_audit_drop_keys"),
    ]

    operations = [
        migrations.RunPython(clean_tasks, migrations.RunPython.noop),
    ]
