"""The day period; the kept totals' cells of every name and every pay type (budgets.models
ANY); the budgets' token (BudgetsVersion). The kept totals are made afresh for the records
already stored: their day cells and their every-name cells are new."""

import secrets

from django.db import migrations, models


def token_make(apps, schema_editor):
    apps.get_model("budgets", "BudgetsVersion").objects.create(pk=1, token=secrets.randbits(62))


def totals_make(apps, schema_editor):
    from budgets.totals import totals_rebuild

    totals_rebuild(records=apps.get_model("feeds", "SpendRecord"))


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0003_budget_names_checked"),
        ("feeds", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="BudgetsVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.BigIntegerField()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="budget",
            name="budget_period_valid",
        ),
        migrations.AlterField(
            model_name="budget",
            name="period",
            field=models.CharField(
                choices=[
                    ("day", "Day"),
                    ("week", "Week"),
                    ("month", "Month"),
                    ("quarter", "Quarter"),
                    ("year", "Year"),
                ],
                default="month",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="periodspend",
            name="period",
            field=models.CharField(
                choices=[
                    ("day", "Day"),
                    ("week", "Week"),
                    ("month", "Month"),
                    ("quarter", "Quarter"),
                    ("year", "Year"),
                ],
                max_length=8,
            ),
        ),
        migrations.AddConstraint(
            model_name="budget",
            constraint=models.CheckConstraint(
                condition=models.Q(("period__in", ["day", "week", "month", "quarter", "year"])),
                name="budget_period_valid",
            ),
        ),
        migrations.RunPython(token_make, migrations.RunPython.noop),
        migrations.RunPython(totals_make, migrations.RunPython.noop),
    ]
