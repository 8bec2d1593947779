"""The spend cells' state (the finest bucket size kept) moves out of the change sequence's row,
which every writer locks, into a row of its own."""

from django.db import migrations, models


def state_move(apps, schema_editor):
    sequence = apps.get_model("feeds", "ChangeSequence").objects.filter(pk=1).first()
    if sequence is not None:
        apps.get_model("feeds", "CellState").objects.create(id=1, finest_ms=sequence.finest_cell_ms)


def state_move_back(apps, schema_editor):
    state = apps.get_model("feeds", "CellState").objects.filter(pk=1).first()
    if state is not None:
        apps.get_model("feeds", "ChangeSequence").objects.filter(pk=1).update(
            finest_cell_ms=state.finest_ms
        )


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0004_spend_cells"),
    ]

    operations = [
        migrations.CreateModel(
            name="CellState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("finest_ms", models.PositiveIntegerField(default=1000)),
            ],
        ),
        migrations.RunPython(state_move, state_move_back),
        migrations.RemoveField(
            model_name="changesequence",
            name="finest_cell_ms",
        ),
    ]
