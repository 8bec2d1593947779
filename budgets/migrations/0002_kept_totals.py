"""The kept totals for the records already stored: made by 0004 since (with its day cells and
every-name cells, which today's budgets.totals writes in the same statement as the others)."""

from django.db import migrations


def totals_make(apps, schema_editor):
    pass  # budgets.migrations.0004 makes them


class Migration(migrations.Migration):
    dependencies = [("budgets", "0001_initial"), ("feeds", "0001_initial")]

    operations = [migrations.RunPython(totals_make, migrations.RunPython.noop)]
