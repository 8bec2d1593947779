"""The change sequence: every create, update and delete of a spend record gets a position."""

import uuid

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, Max


def sequence_start(apps, schema_editor):
    # Records stored before the sequence existed take their id as their position.
    SpendRecord = apps.get_model("feeds", "SpendRecord")
    SpendRecord.objects.update(seq=F("id"))
    last = SpendRecord.objects.aggregate(last=Max("id"))["last"] or 0
    apps.get_model("feeds", "ChangeSequence").objects.create(
        id=1, position=last, epoch=uuid.uuid4().hex
    )


class Migration(migrations.Migration):
    dependencies = [("feeds", "0002_team_group")]

    operations = [
        migrations.CreateModel(
            name="ChangeSequence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.BigIntegerField(default=0)),
                ("epoch", models.CharField(max_length=32)),
            ],
        ),
        migrations.CreateModel(
            name="SpendDeletion",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                ("record_id", models.BigIntegerField()),
                ("deleted", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="spendrecord",
            name="seq",
            field=models.BigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(sequence_start, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="spendrecord",
            index=models.Index(fields=["seq"], name="spend_seq_idx"),
        ),
    ]
