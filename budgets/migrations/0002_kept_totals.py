"""The kept totals for the records already stored."""

from django.db import migrations


def totals_make(apps, schema_editor):
    from budgets.totals import totals_rebuild

    totals_rebuild(records=apps.get_model("feeds", "SpendRecord"))


class Migration(migrations.Migration):
    dependencies = [("budgets", "0001_initial"), ("feeds", "0001_initial")]

    operations = [migrations.RunPython(totals_make, migrations.RunPython.noop)]
