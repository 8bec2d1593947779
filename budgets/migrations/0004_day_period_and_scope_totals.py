"""The day period; the kept totals' cells of every name and every pay type (budgets.models
ANY); the budgets' token (BudgetsVersion). The kept totals are made afresh for the records
already stored: their day cells and their every-name cells are new."""

import secrets
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.db import migrations, models
from django.utils import timezone

# The periods and their first days as this migration knows them (a later change to
# budgets.periods or budgets.totals must not change what it made).
PERIODS = ("day", "week", "month", "quarter", "year")
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
ANY = ""


def first_day(period, day):
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    months = MONTHS_IN[period]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def token_make(apps, schema_editor):
    apps.get_model("budgets", "BudgetsVersion").objects.create(pk=1, token=secrets.randbits(62))


def totals_make(apps, schema_editor):
    """Each stored record counted in its period of each kind (from a midnight in TIME_ZONE),
    under its name and pay type, every name, every pay type, and both."""
    alias = schema_editor.connection.alias
    records = apps.get_model("feeds", "SpendRecord").objects.using(alias).order_by()
    PeriodSpend = apps.get_model("budgets", "PeriodSpend")
    zone = timezone.get_default_timezone()
    starts = {}  # (period, local day): the period's first instant, in UTC
    totals = defaultdict(lambda: [0, 0])  # (period, start, name, pay type): [cents, records]
    rows = records.values_list("created", "name", "pay_type", "spent")
    for created, name, pay_type, spent in rows.iterator(chunk_size=5000):
        day = created.astimezone(zone).date()
        cents = int(spent.scaleb(2))
        for period in PERIODS:
            if (period, day) not in starts:
                first = datetime.combine(first_day(period, day), time(), tzinfo=zone)
                starts[(period, day)] = first.astimezone(UTC)
            start = starts[(period, day)]
            for scope in ((name, pay_type), (name, ANY), (ANY, pay_type), (ANY, ANY)):
                total = totals[(period, start, *scope)]
                total[0] += cents
                total[1] += 1
    PeriodSpend.objects.using(alias).all().delete()
    PeriodSpend.objects.using(alias).bulk_create(
        (
            PeriodSpend(period=p, start=start, name=name, pay_type=pay_type, spent=c, records=n)
            for (p, start, name, pay_type), (c, n) in totals.items()
        ),
        batch_size=1000,
    )


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
