"""The kept totals keep each record's own day cell, and the other cells only of the scopes
(period, person, pay type) some budget follows (budgets.totals): the cells of the scopes none
follows, written by every write until now, are dropped (a budget that follows one later has
its cells summed afresh from the day cells)."""

from django.db import migrations
from django.db.models import Q

ANY = ""


def unfollowed_drop(apps, schema_editor):
    budget = apps.get_model("budgets", "Budget")
    cells = apps.get_model("budgets", "PeriodSpend").objects.exclude(
        Q(period="day") & ~Q(name=ANY) & ~Q(pay_type=ANY)
    )
    for period, person, pay_type in budget.objects.values_list("period", "person", "pay_type"):
        cells = cells.exclude(period=period, name=person, pay_type=pay_type)
    cells.delete()


class Migration(migrations.Migration):
    dependencies = [("budgets", "0004_day_period_and_scope_totals")]

    operations = [migrations.RunPython(unfollowed_drop, migrations.RunPython.noop)]
