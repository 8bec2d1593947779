"""Spend cells, made from the records stored so far (feeds.cells)."""

import itertools

from django.db import migrations, models

# The cells as this migration made them, frozen here: it must run the same on any later
# version of the code (feeds.cells is free to change). Sizes in ms, as feeds.cells had them.
BUCKETS_MS = (1000, 5000, 15000, 60000, 300000, 900000, 3600000, 21600000, 86400000, 604800000)
TIME_BUCKETS = 120
# The records' cents and creation time in epoch ms, and each size's cells from the records, or
# from the size below it.
SPAN_SQL = {
    "sqlite": "SELECT (CAST(strftime('%%s', substr(MAX(created), 1, 19)) AS INTEGER) * 1000 "
    "+ CAST(substr(MAX(created), 21, 3) AS INTEGER)) "
    "- (CAST(strftime('%%s', substr(MIN(created), 1, 19)) AS INTEGER) * 1000 "
    "+ CAST(substr(MIN(created), 21, 3) AS INTEGER)) FROM feeds_spendrecord",
    "postgresql": "SELECT floor(extract(epoch FROM MAX(created)) * 1000)::bigint "
    "- floor(extract(epoch FROM MIN(created)) * 1000)::bigint FROM feeds_spendrecord",
}
CELLS_FROM_RECORDS_SQL = {
    "sqlite": "INSERT INTO feeds_spendcell (size, bucket, name, year, pay_type, amount, spent, "
    "records) SELECT %s, (CAST(strftime('%%s', substr(created, 1, 19)) AS INTEGER) * 1000 "
    "+ CAST(substr(created, 21, 3) AS INTEGER)) / %s * %s, name, year, pay_type, "
    "CAST(ROUND(spent * 100) AS INTEGER) / 1000 * 10, "
    "CAST(SUM(CAST(ROUND(spent * 100) AS INTEGER)) AS BIGINT), COUNT(*) "
    "FROM feeds_spendrecord GROUP BY 1, 2, 3, 4, 5, 6",
    "postgresql": "INSERT INTO feeds_spendcell (size, bucket, name, year, pay_type, amount, "
    "spent, records) SELECT %s, floor(extract(epoch FROM created) * 1000)::bigint / %s * %s, "
    'name COLLATE "C", year, pay_type COLLATE "C", (spent * 100)::bigint / 1000 * 10, '
    "CAST(SUM((spent * 100)::bigint) AS BIGINT), COUNT(*) "
    "FROM feeds_spendrecord GROUP BY 1, 2, 3, 4, 5, 6",
}
CELLS_FROM_FINER_SQL = (
    "INSERT INTO feeds_spendcell (size, bucket, name, year, pay_type, amount, spent, records) "
    "SELECT %s, bucket / %s * %s, name, year, pay_type, amount, SUM(spent), SUM(records) "
    "FROM feeds_spendcell WHERE size = %s GROUP BY 1, 2, 3, 4, 5, 6"
)


def cells_make(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(SPAN_SQL[vendor], [])  # [], so that '%%' reads as '%'
        span = cursor.fetchone()[0] or 0
        finest = next((ms for ms in BUCKETS_MS if ms >= span / TIME_BUCKETS), BUCKETS_MS[-1])
        apps.get_model("feeds", "ChangeSequence").objects.filter(pk=1).update(finest_cell_ms=finest)
        cursor.execute(CELLS_FROM_RECORDS_SQL[vendor], [finest, finest, finest])
        sizes = [ms for ms in BUCKETS_MS if ms >= finest]
        for finer, size in itertools.pairwise(sizes):
            cursor.execute(CELLS_FROM_FINER_SQL, [size, size, size, finer])


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
