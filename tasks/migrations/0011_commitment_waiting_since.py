from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def from_submission(apps, schema_editor):
    """Items already waiting have waited since their declaration was submitted (the trail has no
    better time for a resubmission than that, and it errs towards the front of the queue)."""
    Commitment = apps.get_model("tasks", "Commitment")
    Declaration = apps.get_model("tasks", "Declaration")
    Commitment.objects.filter(review_status="pending", waiting_since__isnull=True).update(
        waiting_since=Subquery(
            Declaration.objects.filter(pk=OuterRef("declaration_id")).values("submitted_at")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0010_notice_review_undone"),
    ]

    operations = [
        migrations.AddField(
            model_name="commitment",
            name="waiting_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="送审时间"),
        ),
        migrations.RunPython(from_submission, migrations.RunPython.noop),
    ]
