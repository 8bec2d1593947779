"""Real spend in, seen live: an open dashboard shows the API's writes and deletes and equals
the database; a CSV exported from the page imports into an empty database with equal totals."""

from __future__ import annotations

import random

from django.core.management import call_command

from feeds.generator import spend_records_generate
from feeds.models import ApiToken, SpendRecord
from feeds.selectors import spend_totals
from feeds.services import records_delete
from feeds.tokens import token_create
from tests.e2e.conftest import assert_page_matches_database, in_thread, records_make
from tests.test_api import call

SCOPES = [ApiToken.Scope.RECORDS_WRITE, ApiToken.Scope.RECORDS_READ]


def api_rows(count: int, *, seed: int) -> list[dict[str, object]]:
    return [
        {
            "external_id": f"{seed}-{index}",
            "name": record.name,
            "spent": str(record.spent),
            "year": record.year,
            "pay_type": record.pay_type,
            "quantity": record.quantity,
            "total": str(record.total),
            "tip": str(record.tip),
        }
        for index, record in enumerate(spend_records_generate(rng=random.Random(seed), count=count))
    ]


def page_totals_as_api(page) -> dict[str, object]:
    totals = page.evaluate("window.rtvizTotals()")

    def dollars(cents: int) -> str:
        return f"{cents // 100}.{cents % 100:02d}"

    return {
        "count": totals["count"],
        "spent": dollars(totals["spent"]),
        "by_year": {k: dollars(v) for k, v in totals["byYear"].items()},
        "by_name": {k: dollars(v) for k, v in totals["byName"].items()},
        "by_pay_type": {k: dollars(v) for k, v in totals["byPayType"].items()},
    }


def test_api_writes_and_deletes_reach_an_open_page_live(page, server):
    records_make(20)
    key = in_thread(lambda: token_create(name="pos", scopes=SCOPES)[1])
    assert_page_matches_database(page)

    for seed in range(3):
        status, _, _ = call(
            server, "POST", "/records", key=key, body={"records": api_rows(50, seed=seed)}
        )
        assert status == 201
    retried = call(server, "POST", "/records", key=key, body={"records": api_rows(50, seed=0)})
    assert retried[0] == 200
    assert_page_matches_database(page)

    mine = list(SpendRecord.objects.filter(source="api:pos").values_list("id", flat=True)[:10])
    for record_id in mine[:5]:
        assert call(server, "DELETE", f"/records/{record_id}", key=key)[0] == 204
    patched = call(server, "PATCH", f"/records/{mine[5]}", key=key, body={"spent": "777.77"})
    assert patched[0] == 200

    assert_page_matches_database(page)
    summary = call(server, "GET", "/summary", key=key)[1]
    assert page_totals_as_api(page) == summary
    assert SpendRecord.objects.count() == 20 + 150 - 5


def test_a_csv_exported_from_the_page_imports_into_an_empty_database_with_equal_totals(
    page, server, tmp_path
):
    records_make(300, seed=7)
    assert_page_matches_database(page)
    before = spend_totals()
    with page.expect_download() as download:
        page.click("#export")
    exported = tmp_path / "export.csv"
    download.value.save_as(exported)

    in_thread(lambda: records_delete(queryset=SpendRecord.objects.all()))
    assert SpendRecord.objects.count() == 0
    in_thread(lambda: call_command("import_spend", str(exported)))

    assert spend_totals() == before
    assert_page_matches_database(page)  # the import reached the open page live too
