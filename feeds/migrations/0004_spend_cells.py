"""Spend cells, made from the records stored so far (feeds.cells)."""

from django.db import migrations, models


def cells_make(apps, schema_editor):
    # The app's own function, not a copy: a later change to the cells' table must give this
    # migration a copy of the version it ran.
    from feeds.cells import cells_rebuild

    cells_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0003_change_sequence"),
    ]

    operations = [
        migrations.CreateModel(
            name="SpendCell",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "size",
                        "bucket",
                        "name",
                        "year",
                        "pay_type",
                        "amount",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("size", models.PositiveIntegerField()),
                ("bucket", models.BigIntegerField()),
                ("name", models.CharField(max_length=64)),
                ("year", models.PositiveSmallIntegerField()),
                ("pay_type", models.CharField(max_length=16)),
                ("amount", models.PositiveIntegerField()),
                ("spent", models.BigIntegerField()),
                ("records", models.BigIntegerField()),
            ],
        ),
        migrations.AddField(
            model_name="changesequence",
            name="finest_cell_ms",
            field=models.PositiveIntegerField(default=1000),
        ),
        migrations.RunPython(cells_make, migrations.RunPython.noop),
    ]
