"""Export jobs move from a thread of the web process onto the job queue (docs/decisions.md,
issue 12): they count their attempts, and the jobs the old threads left behind are settled."""

from django.db import migrations, models
from django.utils import timezone


def settle_thread_jobs(apps, schema_editor):
    """A finished job's file keeps the name the thread gave it; a job still pending or running
    belonged to a thread that no longer exists and no queue knows it, so it ends as failed."""
    ExportJob = apps.get_model("review", "ExportJob")
    for job in ExportJob.objects.filter(status="done", filename="").only("pk", "kind"):
        ExportJob.objects.filter(pk=job.pk).update(filename=f"{job.kind}-{job.pk}.xlsx")
    ExportJob.objects.filter(status__in=["pending", "running"]).update(
        status="failed",
        error="系统升级，导出中断",
        updated_at=timezone.now(),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0003_clean_stored_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="尝试次数"),
        ),
        migrations.RunPython(settle_thread_jobs, migrations.RunPython.noop),
    ]
