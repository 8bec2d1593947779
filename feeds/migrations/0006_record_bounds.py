"""Bounds on every numeric field and the date window, as validators and CHECKs (issue 12).

Records already outside them stop the migration with a list of their ids rather than being
changed or dropped here: no record is lost without someone deciding. Fix them (the admin's
validators say what is allowed), then migrate again.
"""

import datetime
from decimal import Decimal

import django.core.validators
import django.utils.timezone
from django.db import migrations, models

import feeds.validators

# The bounds as this migration knows them (a later change to feeds.validators must not change
# what this migration checked).
WINDOW = (
    datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC),
)
OUTSIDE = (
    models.Q(quantity__lt=1)
    | models.Q(quantity__gt=1000)
    | models.Q(spent__lt=0)
    | models.Q(spent__gt=10000)
    | models.Q(total__lt=0)
    | models.Q(total__gt=10000)
    | models.Q(tip__lt=0)
    | models.Q(tip__gt=1000)
    | models.Q(created__lt=WINDOW[0])
    | models.Q(created__gte=WINDOW[1])
)


def records_outside_refuse(apps, schema_editor):
    records = apps.get_model("feeds", "SpendRecord").objects.using(schema_editor.connection.alias)
    ids = list(records.filter(OUTSIDE).order_by("id").values_list("id", flat=True)[:21])
    if ids:
        listed = ", ".join(map(str, ids[:20])) + (", ..." if len(ids) > 20 else "")
        raise RuntimeError(
            f"Records outside the new bounds (ids {listed}): fix them, then migrate again. "
            "Bounds: quantity 1-1000, spent and total 0-10000, tip 0-1000, "
            "created from 2000-01-01 to before 2100."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0005_cell_state"),
    ]

    operations = [
        migrations.RunPython(records_outside_refuse, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="spendrecord",
            name="spend_spent_not_negative",
        ),
        migrations.RemoveConstraint(
            model_name="spendrecord",
            name="spend_quantity_positive",
        ),
        migrations.RemoveConstraint(
            model_name="spendrecord",
            name="spend_total_not_negative",
        ),
        migrations.RemoveConstraint(
            model_name="spendrecord",
            name="spend_tip_not_negative",
        ),
        migrations.AlterField(
            model_name="spendrecord",
            name="created",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.datetime(2000, 1, 1, 0, 0, tzinfo=datetime.UTC)
                    ),
                    feeds.validators.CreatedNotAheadValidator(),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="spendrecord",
            name="name",
            field=models.CharField(max_length=64, validators=[feeds.validators.name_validate]),
        ),
        migrations.AlterField(
            model_name="spendrecord",
            name="quantity",
            field=models.PositiveSmallIntegerField(
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(1000),
                ]
            ),
        ),
        migrations.AlterField(
            model_name="spendrecord",
            name="spent",
            field=models.DecimalField(
                decimal_places=2,
                max_digits=10,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("10000.00")),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="spendrecord",
            name="tip",
            field=models.DecimalField(
                decimal_places=2,
                max_digits=10,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("1000.00")),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="spendrecord",
            name="total",
            field=models.DecimalField(
                decimal_places=2,
                max_digits=10,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("10000.00")),
                ],
            ),
        ),
        migrations.AddConstraint(
            model_name="spendrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(("spent__gte", 0), ("spent__lte", Decimal("10000.00"))),
                name="spend_spent_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="spendrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gte", 1), ("quantity__lte", 1000)),
                name="spend_quantity_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="spendrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(("total__gte", 0), ("total__lte", Decimal("10000.00"))),
                name="spend_total_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="spendrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(("tip__gte", 0), ("tip__lte", Decimal("1000.00"))),
                name="spend_tip_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="spendrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "created__gte",
                        datetime.datetime(2000, 1, 1, 0, 0, tzinfo=datetime.UTC),
                    ),
                    (
                        "created__lt",
                        datetime.datetime(2100, 1, 1, 0, 0, tzinfo=datetime.UTC),
                    ),
                ),
                name="spend_created_in_window",
            ),
        ),
    ]
