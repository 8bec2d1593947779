"""Budget names and persons take the record names' check (no controls, no direction overrides)."""

from django.db import migrations, models

import feeds.validators


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0002_kept_totals"),
    ]

    operations = [
        migrations.AlterField(
            model_name="budget",
            name="name",
            field=models.CharField(max_length=80, validators=[feeds.validators.name_validate]),
        ),
        migrations.AlterField(
            model_name="budget",
            name="person",
            field=models.CharField(
                blank=True,
                help_text="Only this person's spend (empty: everyone's).",
                max_length=64,
                validators=[feeds.validators.name_validate],
            ),
        ),
    ]
