"""Codes and phones are ASCII digits ([0-9], not \\d, which matches full-width and other
scripts' digits too); and the schools' text stored before the normaliser is put through it,
so no legacy name or contact can stop an export. Idempotent and batched."""

import django.core.validators
from django.db import migrations, models

from tizhi.lib.stored_text import clean_stored_text


def clean_schools(apps, schema_editor):
    clean_stored_text(
        apps.get_model("schools", "School"),
        single_line=("name", "city", "contact_name", "office_phone", "mobile"),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('schools', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='school',
            name='code',
            field=models.CharField(max_length=10, primary_key=True, serialize=False, validators=[django.core.validators.RegexValidator('^[0-9]{10}\\Z', '学校标识码应为10位数字。', code='invalid_school_code')], verbose_name='学校标识码'),
        ),
        migrations.AlterField(
            model_name='school',
            name='mobile',
            field=models.CharField(blank=True, max_length=11, validators=[django.core.validators.RegexValidator('^1[0-9]{10}\\Z', '手机号应为以1开头的11位数字。', code='invalid_mobile')], verbose_name='手机号'),
        ),
        migrations.AlterField(
            model_name='school',
            name='office_phone',
            field=models.CharField(blank=True, max_length=20, validators=[django.core.validators.RegexValidator('^0[0-9]{2,3}-[0-9]{7,8}\\Z', '办公电话格式应为：区号+“-”+电话号码，如010-87654321。', code='invalid_office_phone')], verbose_name='办公电话'),
        ),
        migrations.RunPython(clean_schools, migrations.RunPython.noop),
    ]
