import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The audit trail's old keys go once every record names its subject (0006)."""

    dependencies = [
        ("tasks", "0006_audit_subjects_from_keys"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='auditevent',
            name='tasks_audit_declara_8957e4_idx',
        ),
        migrations.RemoveIndex(
            model_name='auditevent',
            name='tasks_audit_report__2818c6_idx',
        ),
        migrations.RemoveField(
            model_name='auditevent',
            name='commitment',
        ),
        migrations.RemoveField(
            model_name='auditevent',
            name='declaration',
        ),
        migrations.RemoveField(
            model_name='auditevent',
            name='report',
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='subject_type',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='对象类型'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['subject_type', 'subject_id', 'at'], name='tasks_audit_subject_1932c5_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['province', 'at'], name='tasks_audit_provinc_c148c5_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['school', 'at'], name='tasks_audit_school__b5712c_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['at'], name='tasks_audit_at_c54123_idx'),
        ),
    ]
