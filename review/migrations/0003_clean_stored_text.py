"""Export jobs' error texts and file names stored before the normaliser are put through it.
Idempotent and batched."""

from django.db import migrations

from tizhi.lib.stored_text import clean_stored_text


def clean_jobs(apps, schema_editor):
    clean_stored_text(
        apps.get_model("review", "ExportJob"),
        single_line=("filename",),
        multi_line=("error",),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0002_export_kinds"),
    ]

    operations = [
        migrations.RunPython(clean_jobs, migrations.RunPython.noop),
    ]
