"""The API's summary (feeds.selectors.spend_totals), timed in process on the bench database
(DATABASE_URL) as bench.prepare filled it, for a few filters: all time, one person, and created
ranges at arbitrary milliseconds (a day, ten days, a minute). Not part of `make bench`.

    DATABASE_URL=... python -m bench.summary [--repeat N]

Prints one JSON line per filter: the median and the slowest of N runs, in ms, and the count
(the same count before and after a change: the answers are checked equal by the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.selectors import SpendFilter


def filters() -> dict[str, SpendFilter]:
    from feeds.models import SpendRecord
    from feeds.selectors import SpendFilter

    last = SpendRecord.objects.order_by("-created").values_list("created", flat=True).first()
    if last is None:
        raise SystemExit("bench.summary: the bench database holds no records (bench.prepare)")
    odd = timedelta(hours=3, minutes=7, seconds=11, milliseconds=321)
    day_from = last - timedelta(days=5) + odd
    return {
        "all time": SpendFilter(),
        "one person": SpendFilter(name="Ben"),
        "a day": SpendFilter(created_from=day_from, created_to=day_from + timedelta(days=1)),
        "ten days, cash": SpendFilter(
            created_from=last - timedelta(days=20) + odd,
            created_to=last - timedelta(days=10) - odd,
            pay_type="cash",
        ),
        "a minute": SpendFilter(created_from=day_from, created_to=day_from + timedelta(minutes=1)),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtviz.settings")
    import django

    django.setup()
    from feeds.selectors import spend_totals

    for label, spend_filter in filters().items():
        times = []
        for _ in range(options.repeat):
            started = time.perf_counter()
            totals = spend_totals(spend_filter=spend_filter)
            times.append((time.perf_counter() - started) * 1000)
        row = {
            "filter": label,
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "count": totals.count,
            "spent_cents": totals.spent,
        }
        sys.stdout.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
