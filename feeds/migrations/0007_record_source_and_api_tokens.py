"""Where each record came from (its source) and the sender's own id; API tokens.

Records stored before this came from the generator, except those added in the admin, which
its change log names.
"""

import django.utils.timezone
from django.db import migrations, models


def admin_additions_mark(apps, schema_editor):
    LogEntry = apps.get_model("admin", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    SpendRecord = apps.get_model("feeds", "SpendRecord")
    content_type = ContentType.objects.filter(app_label="feeds", model="spendrecord").first()
    if content_type is None:
        return
    added = LogEntry.objects.filter(content_type=content_type, action_flag=1)  # ADDITION
    ids = [int(pk) for pk in added.values_list("object_id", flat=True) if str(pk).isdigit()]
    for start in range(0, len(ids), 500):
        SpendRecord.objects.filter(id__in=ids[start : start + 500]).update(source="admin")


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0006_record_bounds"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="The integration: its records' source is api:NAME.",
                        max_length=64,
                        unique=True,
                    ),
                ),
                ("prefix", models.CharField(editable=False, max_length=16)),
                ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("scopes", models.JSONField(default=list)),
                (
                    "created",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                ("expires", models.DateTimeField(blank=True, null=True)),
                ("last_used", models.DateTimeField(blank=True, editable=False, null=True)),
                ("revoked", models.DateTimeField(blank=True, editable=False, null=True)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="spendrecord",
            name="external_id",
            field=models.CharField(blank=True, editable=False, max_length=128, null=True),
        ),
        migrations.AddField(
            model_name="spendrecord",
            name="source",
            field=models.CharField(default="generator", editable=False, max_length=80),
        ),
        migrations.AddConstraint(
            model_name="spendrecord",
            constraint=models.UniqueConstraint(
                fields=("source", "external_id"), name="spend_source_external_id_unique"
            ),
        ),
        migrations.RunPython(admin_additions_mark, migrations.RunPython.noop),
    ]
