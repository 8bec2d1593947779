"""Where the history's time goes, in-process (no socket): the app's own chunk reader against
a candidate that lets the database produce the wire's integers (which the app now does,
delta-coding ids and times as well). Run inside Django for one bench database (DATABASE_URL):

    python -m bench.history_encoding

Prints one JSON object. The candidate is a measurement, not the app's code: see
docs/benchmarks.md for what it suggests.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

CHUNK = 5000

# The wire's integers, computed by the database: cents and epoch milliseconds.
SELECT = {
    "sqlite": (
        "SELECT id, name, CAST(ROUND(spent * 100) AS INTEGER), year, pay_type, quantity, "
        "CAST(ROUND(total * 100) AS INTEGER), CAST(ROUND(tip * 100) AS INTEGER), "
        "CAST(strftime('%%s', created) AS INTEGER) * 1000 "
        "+ CAST(substr(created, 21, 3) AS INTEGER), "
        "CAST(strftime('%%s', updated) AS INTEGER) * 1000 "
        "+ CAST(substr(updated, 21, 3) AS INTEGER) "
        "FROM feeds_spendrecord WHERE id > %s AND seq <= %s ORDER BY id LIMIT %s"
    ),
    "postgresql": (
        "SELECT id, name, (spent * 100)::bigint, year, pay_type, quantity, (total * 100)::bigint, "
        "(tip * 100)::bigint, (extract(epoch FROM created) * 1000)::bigint, "
        "(extract(epoch FROM updated) * 1000)::bigint "
        "FROM feeds_spendrecord WHERE id > %s AND seq <= %s ORDER BY id LIMIT %s"
    ),
}


def integer_chunk(*, after: int, upto: int, size: int) -> tuple[str, int, int]:
    from django.db import connection

    from feeds.encoding import RECORD_FIELDS, dictionary_code, frame_text

    with connection.cursor() as cursor:
        cursor.execute(SELECT[connection.vendor], [after, upto, size])
        rows = cursor.fetchall()
    if not rows:
        return frame_text("history", records={"count": 0}), 0, after
    columns: dict[str, Any] = dict(
        zip(RECORD_FIELDS, map(list, zip(*rows, strict=True)), strict=True)
    )
    dictionaries = {}
    for field in ("name", "pay_type"):
        dictionaries[field], columns[field] = dictionary_code(columns[field])
    batch = {"count": len(rows), "columns": columns, "dictionaries": dictionaries}
    return frame_text("history", records=batch), len(rows), rows[-1][0]


def stream(read: Any, upto: int) -> dict[str, float]:
    started = time.perf_counter()
    after = count = size = 0
    while True:
        text, got, after = read(after=after, upto=upto, size=CHUNK)
        count += got
        size += len(text)
        if got < CHUNK:
            break
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "records": count, "mb": round(size / 1e6, 1)}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtviz.settings")
    import django

    django.setup()
    from dashboard.history import snapshot_chunk, sync_point

    upto = sync_point().position
    app = stream(snapshot_chunk, upto)
    candidate = stream(integer_chunk, upto)
    result = {"app": app, "integers_from_db": candidate}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
