from __future__ import annotations

import csv
import random
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from playwright.sync_api import Page, expect

from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import record_update, records_create, records_delete
from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    forgive_reconnect_noise,
    in_thread,
    live,
    open_dashboard,
    records_make,
    restart,
)


def money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def chart_titles(page: Page, selector: str) -> dict[str, str]:
    """A chart's rendered values, read from its SVG titles ("key: $value")."""
    texts = page.locator(f"{selector} title").all_text_contents()
    return dict(text.split(": ", 1) for text in texts if ": " in text)


def database_totals(field: str, **filters: object) -> dict[str, str]:
    rows = SpendRecord.objects.filter(**filters).values(field).annotate(spend=Sum("spent"))
    return {str(row[field]): money(row["spend"]) for row in rows}


def selected_count(page: Page) -> str:
    return page.locator("#data-count").inner_text()


def test_anonymous_visitors_are_sent_to_log_in_then_see_the_dashboard(
    anonymous_page, server, team_user
):
    page = anonymous_page
    page.goto(server.url)

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.fill("#id_username", team_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    live(page)
    expect(page.locator("[data-testid=username]")).to_have_text(team_user.username)


def test_every_chart_shows_the_stored_history_exactly(server, team_user, anonymous_page):
    records_make(120)
    page = anonymous_page
    open_dashboard(page, server, team_user)

    total = SpendRecord.objects.aggregate(spend=Sum("spent"), count=Count("id"))
    expect(page.locator("#number-records")).to_have_text("120")
    expect(page.locator("#number-spend")).to_have_text(money(total["spend"]))
    assert chart_titles(page, "#chart-year") == database_totals("year")
    assert chart_titles(page, "#chart-person") == database_totals("name")
    assert chart_titles(page, "#chart-pay-type") == database_totals("pay_type")
    for chart in ("year", "person", "pay-type", "amount", "time"):
        expect(page.locator(f"#chart-{chart} svg")).to_be_visible()
    expect(page.locator("#table-latest tbody tr")).to_have_count(25)


def test_new_records_appear_live_without_a_reload(page):
    expect(page.locator("#number-records")).to_have_text("0")

    records_make(7)

    expect(page.locator("#number-records")).to_have_text("7")
    records_make(5, seed=2)
    expect(page.locator("#number-records")).to_have_text("12")
    assert chart_titles(page, "#chart-person") == database_totals("name")


def test_deleting_every_record_empties_the_charts_cleanly(page):
    records_make(6)
    expect(page.locator("#number-records")).to_have_text("6")

    in_thread(lambda: records_delete(queryset=SpendRecord.objects.all()))

    expect(page.locator("#number-records")).to_have_text("0")
    expect(page.locator("#chart-amount rect.bar")).to_have_count(0)
    # and no console error: bars leaving an emptied chart once got x="NaN"


def test_clicking_a_year_filters_the_others_and_the_filter_survives_new_data(page):
    records_make(80)
    page.reload()
    live(page)
    year = SpendRecord.objects.values_list("year", flat=True).first()

    # By keyboard: dc's keyboard-accessible slices filter on Enter, as on a click.
    page.locator(f"#chart-year g.pie-slice:has(title:text-matches('^{year}:'))").focus()
    page.keyboard.press("Enter")

    in_year = SpendRecord.objects.filter(year=year).count()
    expect(page.locator("#data-count")).to_contain_text(f"{in_year} of 80 records selected")
    assert chart_titles(page, "#chart-person") == database_totals("name", year=year)
    expect(page.locator("#chart-year .reset")).to_be_visible()

    records_make(40, seed=3)

    in_year = SpendRecord.objects.filter(year=year).count()
    expect(page.locator("#data-count")).to_contain_text(f"{in_year} of 120 records selected")
    assert chart_titles(page, "#chart-person") == database_totals("name", year=year)

    page.click("#reset-all")
    expect(page.locator("#data-count")).to_contain_text("All 120 records selected")
    expect(page.locator("#chart-year .reset")).to_be_hidden()


def test_brushing_the_amount_chart_filters_the_table(page):
    records_make(150)
    page.reload()
    live(page)
    overlay = page.locator("#chart-amount g.brush rect.overlay").bounding_box()
    assert overlay is not None

    y = overlay["y"] + overlay["height"] / 2
    page.mouse.move(overlay["x"] + overlay["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(overlay["x"] + overlay["width"] * 0.6, y, steps=5)
    page.mouse.up()

    expect(page).to_have_url(re.compile(r"amount=\d+_\d+"))
    low, high = map(int, re.search(r"amount=(\d+)_(\d+)", page.url).groups())
    selected = SpendRecord.objects.filter(spent__gte=low, spent__lt=high).count()
    expect(page.locator("#data-count")).to_contain_text(f"{selected} of 150 records selected")
    spent = page.locator("#table-latest tbody tr td:nth-child(3)").all_text_contents()
    assert spent and all(low <= Decimal(text.strip("$").replace(",", "")) < high for text in spent)


def test_filters_are_kept_in_the_url_and_restored_on_reload(page):
    records_make(60)
    page.reload()
    live(page)
    pay_type = SpendRecord.objects.values_list("pay_type", flat=True).first()

    page.locator(f"#chart-pay-type g.row:has(title:text-matches('^{pay_type}:')) rect").click()
    expect(page).to_have_url(re.compile(f"payType={pay_type}"))
    page.reload()
    live(page)

    selected = SpendRecord.objects.filter(pay_type=pay_type).count()
    expect(page.locator("#data-count")).to_contain_text(f"{selected} of 60 records selected")


def test_csv_export_holds_exactly_the_filtered_records(page, server):
    records_make(90)
    year = SpendRecord.objects.values_list("year", flat=True).first()
    page.goto(f"{server.url}/?year={year}")
    live(page)

    with page.expect_download() as download:
        page.click("#export")
    with open(download.value.path(), newline="") as exported:
        rows = list(csv.DictReader(exported))

    expected = SpendRecord.objects.filter(year=year).order_by("id")
    assert [int(row["id"]) for row in rows] == [record.pk for record in expected]
    assert [row["spent"] for row in rows] == [str(record.spent) for record in expected]


def test_a_server_restart_reconnects_and_resyncs_without_losing_or_doubling(
    page, server, static_root, console_errors
):
    records_make(30)
    expect(page.locator("#number-records")).to_have_text("30")

    server.process.terminate()
    expect(page.locator("#status")).to_have_text("Reconnecting…")
    records_make(10, seed=4)  # written while the page is cut off: no live message reaches it
    restart(server, static_root)

    expect(page.locator("#status")).to_have_text("Live")
    expect(page.locator("#number-records")).to_have_text("40")
    page.wait_for_function("document.getElementById('dashboard').dataset.records === '40'")
    assert chart_titles(page, "#chart-person") == database_totals("name")
    forgive_reconnect_noise(console_errors)


def test_pause_buffers_arrivals_and_resume_catches_up(page):
    records_make(10)
    expect(page.locator("#number-records")).to_have_text("10")

    page.click("#pause")
    records_make(5, seed=5)
    expect(page.locator("#pause")).to_have_attribute("aria-pressed", "true")
    page.click("#pause")

    expect(page.locator("#number-records")).to_have_text("15")


def test_on_a_phone_the_charts_stack(page):
    page.set_viewport_size({"width": 390, "height": 800})

    year = page.locator("#chart-year").bounding_box()
    person = page.locator("#chart-person").bounding_box()

    assert year and person
    assert person["y"] >= year["y"] + year["height"]
    assert person["width"] <= 390


def test_a_name_is_shown_as_text_never_as_markup(page):
    (record,) = records_make(1)
    record.name = "<b id=injected>Eve</b>"
    in_thread(lambda: record_update(record=record))

    expect(
        page.locator("#table-latest tbody td", has_text="<b id=injected>Eve</b>")
    ).to_be_visible()
    assert page.locator("#injected").count() == 0


@pytest.mark.parametrize(
    "server_env", [{}, {"DASHBOARD_HISTORY_RAW_LIMIT": "3"}], ids=["whole", "summarised"]
)
def test_the_time_range_selector_bounds_what_is_shown(page):
    def old_and_new() -> None:
        old = spend_records_generate(rng=random.Random(1), count=5)
        for record in old:
            record.created -= timedelta(hours=2)
        records_create(records=old)
        records_create(records=spend_records_generate(rng=random.Random(2), count=10))

    in_thread(old_and_new)
    expect(page.locator("#data-count")).to_contain_text("All 15 records selected")

    page.select_option("#range", "1h")

    expect(page.locator("#data-count")).to_contain_text("10 of 15 records selected")
    expect(page).to_have_url(re.compile(r"range=1h"))
    page.reload()  # the server now sends only the last hour
    live(page)
    expect(page.locator("#data-count")).to_contain_text("All 10 records selected")
    page.select_option("#range", "all")  # wider: the older history is fetched
    expect(page.locator("#data-count")).to_contain_text("All 15 records selected")
