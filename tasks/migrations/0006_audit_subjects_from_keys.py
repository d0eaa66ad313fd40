from typing import Any

from django.db import migrations

BATCH = 2000


def subjects_from_keys(apps: Any, schema_editor: Any) -> None:
    """Every existing record names its declaration or report as its subject, with the
    province and school it concerns and the user name of the time."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEvent = apps.get_model("tasks", "AuditEvent")
    declaration_type, _ = ContentType.objects.get_or_create(app_label="tasks", model="declaration")
    report_type, _ = ContentType.objects.get_or_create(app_label="tasks", model="unitreport")
    events = AuditEvent.objects.select_related(
        "user", "declaration__round__province", "declaration__school", "report__school"
    ).order_by("pk")
    last = 0
    while True:
        batch = list(events.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        for event in batch:
            event.actor = event.user.username if event.user else "系统"
            if event.declaration_id:
                declaration = event.declaration
                unit = declaration.school or f"{declaration.round.province}（省级承接）"
                event.subject_type = declaration_type
                event.subject_id = str(declaration.pk)
                event.subject_label = f"{unit} 承接任务"[:200]
                event.province_id = declaration.round.province_id
                event.school_id = declaration.school_id
            else:
                report = event.report
                event.subject_type = report_type
                event.subject_id = str(report.pk)
                event.subject_label = f"{report.school} 年度绩效"[:200]
                event.province_id = report.school.province_id
                event.school_id = report.school_id
        AuditEvent.objects.bulk_update(
            batch,
            ["actor", "subject_type", "subject_id", "subject_label", "province", "school"],
        )
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tasks", "0005_audit_any_subject"),
    ]

    operations = [migrations.RunPython(subjects_from_keys, migrations.RunPython.noop)]
