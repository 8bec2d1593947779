"""The spend cells are kept up to a coarsest size (feeds.cells): the one whose one bucket spans
the records. Cells of coarser sizes, the same sums over again, are dropped. The new field's
default is what a missing row reads as (1 s alone); the row's own value is set here."""

import itertools

from django.db import migrations, models
from django.db.models import Max, Min

# As feeds.cells had them when this migration was written, frozen: it must run the same on any
# later version of the code. Sizes in ms.
BUCKETS_MS = (1000, 5000, 15000, 60000, 300000, 900000, 3600000, 21600000, 86400000, 604800000)
WEEK_MS = BUCKETS_MS[-1]
CELLS_FROM_FINER_SQL = (
    "INSERT INTO feeds_spendcell (size, bucket, name, year, pay_type, amount, spent, records) "
    "SELECT %s, bucket / %s * %s, name, year, pay_type, amount, SUM(spent), SUM(records) "
    "FROM feeds_spendcell WHERE size = %s GROUP BY 1, 2, 3, 4, 5, 6"
)


def coarsest_set(apps, schema_editor):
    # No row: the code before this read it as every size from 1 s up (it wrote the row only
    # once the span outgrew the 1 s size), today's as 1 s alone: write one for what is there.
    state, _ = apps.get_model("feeds", "CellState").objects.get_or_create(
        pk=1, defaults={"finest_ms": BUCKETS_MS[0]}
    )
    ends = apps.get_model("feeds", "SpendRecord").objects.aggregate(
        first=Min("created"), last=Max("created")
    )
    span = 0 if ends["first"] is None else (ends["last"] - ends["first"]).total_seconds() * 1000
    wanted = next((ms for ms in BUCKETS_MS if ms >= span), WEEK_MS)
    coarsest = max(wanted, state.finest_ms)
    apps.get_model("feeds", "SpendCell").objects.filter(size__gt=coarsest).delete()
    state.coarsest_ms = coarsest
    state.save(update_fields=["coarsest_ms"])


def coarser_make(apps, schema_editor):
    """Back: the code before kept every size from the finest up: make the coarser ones again,
    each from the one below it."""
    state = apps.get_model("feeds", "CellState").objects.filter(pk=1).first()
    coarsest = BUCKETS_MS[0] if state is None else state.coarsest_ms  # no row: 1 s alone
    sizes = [ms for ms in BUCKETS_MS if ms >= coarsest]
    with schema_editor.connection.cursor() as cursor:
        for finer, size in itertools.pairwise(sizes):
            cursor.execute(CELLS_FROM_FINER_SQL, [size, size, size, finer])


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0007_record_source_and_api_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="cellstate",
            name="coarsest_ms",
            field=models.PositiveIntegerField(default=1000),
        ),
        migrations.RunPython(coarsest_set, coarser_make),
    ]
