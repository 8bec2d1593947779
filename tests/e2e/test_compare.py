"""Period comparison: the number displays' figures for the current and the previous period
equal the database's sums over those periods under the page's filters, to the cent, also
after a live edit and delete; and the time chart's previous-period overlay."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils import timezone
from playwright.sync_api import Page, expect

from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import record_update, records_create, records_delete
from tests.conftest import cents_sum
from tests.e2e.conftest import (
    forgive_reconnect_noise,
    in_thread,
    live,
    open_dashboard,
    restart,
)
from tests.e2e.test_page import AXE, AXE_RUN_JS, assert_charts_fit

NUMBERS_JS = "() => ({ ...document.getElementById('numbers').dataset })"


def records_at(
    minutes_ago: list[int], *, seed: int, name: str, spent: Decimal | None = None
) -> None:
    """Records created `minutes_ago` before now, half of them by `name`."""
    rng = random.Random(seed)
    records = spend_records_generate(rng=rng, count=len(minutes_ago))
    now = timezone.now()
    for index, (record, minutes) in enumerate(zip(records, minutes_ago, strict=True)):
        record.created = now - timedelta(minutes=minutes)
        record.spent = spent if spent is not None else record.spent
        if index % 2 == 0:
            record.name = name
    records_create(records=records)


def moment(ms: str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def database_period(low: str, high: str, **filters: object) -> tuple[int, int]:
    """(records, cents) created in [low, high) epoch ms ("Infinity": no end), under filters."""
    records = SpendRecord.objects.filter(created__gte=moment(low), **filters)
    if high != "Infinity":
        records = records.filter(created__lt=moment(high))
    total = records.aggregate(count=Count("id"), spent=cents_sum())
    return total["count"], total["spent"] or 0


def shown(figures: dict[str, str]) -> dict[str, tuple[int, int]]:
    """The page's (records, cents) of each period."""
    return {
        period: (int(figures[f"{period}Records"]), int(figures[f"{period}Cents"]))
        for period in ("current", "previous")
    }


def assert_comparison_matches_database(page: Page, **filters: object) -> dict[str, str]:
    """The page's figures (read at once with the bounds they were summed over) equal the
    database's for the same bounds and filters; retried while the page comes to rest."""
    figures: dict[str, str] = {}
    expected: dict[str, tuple[int, int]] = {}
    for _ in range(40):
        figures = page.evaluate(NUMBERS_JS)
        if "previousFrom" in figures:
            expected = in_thread(
                lambda f=figures: {
                    "current": database_period(f["currentFrom"], f["currentTo"], **filters),
                    "previous": database_period(f["previousFrom"], f["previousTo"], **filters),
                }
            )
            if shown(figures) == expected:
                return figures
        page.wait_for_timeout(250)
    assert shown(figures) == expected
    return figures


@pytest.mark.parametrize(
    "server_env", [{}, {"DASHBOARD_HISTORY_RAW_LIMIT": "3"}], ids=["whole", "summarised"]
)
def test_the_change_against_the_previous_period_equals_the_database_under_a_filter(
    page, server, static_root, console_errors
):
    """Summarised too: the records sit minutes from the periods' edges, and the summary's
    buckets for one hour are a minute long."""
    # Minutes ago: this hour, the hour before, and older (in neither).
    in_thread(lambda: records_at([5, 12, 20, 33, 41, 50], seed=1, name="Quinn"))
    in_thread(lambda: records_at([65, 72, 80, 95, 101, 115], seed=2, name="Quinn"))
    in_thread(lambda: records_at([150, 170, 200], seed=3, name="Quinn"))
    page.goto(f"{server.url}/?range=1h&person=Quinn")
    live(page)

    figures = assert_comparison_matches_database(page, name="Quinn")
    assert int(figures["previousRecords"]) == 3  # the previous hour's records held, not shown
    # The displayed numbers are the current hour's alone, and the change says against what.
    expect(page.locator("#number-records")).to_have_text(figures["currentRecords"])
    expect(page.locator("#change-spend")).to_contain_text(re.compile(r"[▲▼=] .* previous 1 h"))
    expect(page.locator("#data-count")).to_contain_text("3 of 6 records selected")
    assert "Infinity" not in page.locator("#numbers").inner_text()

    def edit_and_delete() -> None:
        now = timezone.now()
        hour_before = (now - timedelta(minutes=120), now - timedelta(minutes=60))
        previous = SpendRecord.objects.filter(name="Quinn", created__range=hour_before)
        previous = previous.order_by("created")
        edited = previous.last()
        assert edited is not None
        edited.spent = Decimal("123.45")
        record_update(record=edited)
        records_delete(queryset=SpendRecord.objects.filter(pk=previous.first().pk))

    in_thread(edit_and_delete)
    figures = assert_comparison_matches_database(page, name="Quinn")
    assert int(figures["previousRecords"]) == 2

    restart(server, static_root)  # the page reconnects and replays, or reloads its history
    in_thread(lambda: records_at([1, 2], seed=14, name="Quinn"))
    figures = assert_comparison_matches_database(page, name="Quinn")
    assert int(figures["previousRecords"]) == 2
    forgive_reconnect_noise(console_errors)


def test_a_brushed_time_chart_compares_the_brush_with_the_equal_span_before_it(page, server):
    in_thread(lambda: records_at([10, 25, 40, 55, 70, 85, 100], seed=10, name="Quinn"))
    now_ms = int(timezone.now().timestamp() * 1000)
    low, high = now_ms - 50 * 60_000, now_ms - 20 * 60_000  # the previous span: 80 to 50 min ago
    page.goto(f"{server.url}/?range=24h&payType=visa,cash,tab&time={low}_{high}")
    live(page)
    figures = assert_comparison_matches_database(page, pay_type__in=["visa", "cash", "tab"])
    assert (int(figures["currentFrom"]), int(figures["currentTo"])) == (low, high)
    assert (int(figures["previousFrom"]), int(figures["previousTo"])) == (low - 30 * 60_000, low)
    expect(page.locator("#change-spend")).to_contain_text("the 30 min before the selection")
    expect(page.locator("#compare-note")).to_contain_text("the time selected")


def test_no_previous_data_is_said_in_words(page, server):
    in_thread(lambda: records_at([3, 9], seed=4, name="Ann"))
    page.goto(f"{server.url}/?range=15m")
    live(page)
    expect(page.locator("#change-spend")).to_have_text("no data for previous 15 min")
    expect(page.locator("#change-records")).to_have_attribute("data-kind", "none")
    expect(page.locator("#compare-note")).to_contain_text("with the 15 min just before it")


def test_all_time_compares_the_last_30_days_with_the_30_before(page, server):
    day = 24 * 60
    in_thread(lambda: records_at([10, 5 * day, 12 * day], seed=5, name="Cy"))
    in_thread(lambda: records_at([35 * day, 50 * day], seed=6, name="Cy"))
    in_thread(lambda: records_at([70 * day], seed=7, name="Cy"))  # before both
    page.goto(f"{server.url}/?payType=visa,cash,tab,mastercard,bitcoin")
    live(page)
    figures = assert_comparison_matches_database(page)
    assert (figures["currentRecords"], figures["previousRecords"]) == ("3", "2")
    expect(page.locator("#change-records")).to_contain_text("last 30 days: 3 · ")
    expect(page.locator("#compare-note")).to_contain_text("the last 30 days (since")


def test_the_previous_period_overlay_toggles_from_the_keyboard_and_stays_in_the_url(page, server):
    in_thread(lambda: records_at([5, 20, 40], seed=8, name="Quinn"))
    in_thread(lambda: records_at([70, 90], seed=9, name="Quinn"))
    page.goto(f"{server.url}/?range=1h")
    live(page)
    toggle = page.locator("#previous")
    overlay = page.locator("#chart-time g.previous-period")
    expect(page.locator("#time-legend")).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#time-legend")).to_contain_text("Previous 1 h, drawn 1 h later")
    expect(overlay.locator("path")).to_have_count(1)
    # It draws the hour before's spend (no filter: every name), its records far from its ends.
    hour_ago = timezone.now() - timedelta(minutes=60)
    previous_hour = in_thread(lambda: database_period("0", "Infinity", created__lt=hour_ago))
    expect(overlay).to_have_attribute("data-cents", str(previous_hour[1]))
    page.wait_for_url(re.compile(r"previous=1"))

    page.reload()
    live(page)
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(overlay.locator("path")).to_have_count(1)
    toggle.focus()
    page.keyboard.press("Enter")  # and off again
    expect(overlay.locator("path")).to_have_count(0)
    expect(page.locator("#time-legend")).to_be_hidden()
    page.wait_for_url(lambda url: "previous=" not in url)


# The toggle, the legend and the changes, each inside its card: the texts that stick out.
INSIDE_CARD_JS = """() => [...document.querySelectorAll('#previous, #time-legend > span, .change')]
  .filter((e) => e.getBoundingClientRect().right
    > e.closest('.chart, .number').getBoundingClientRect().right + 0.5)
  .map((e) => e.textContent)"""


@pytest.mark.parametrize("width", [360, 2560])
def test_the_overlay_and_the_changes_fit_their_cards(browser, server, team_user, width):
    in_thread(lambda: records_at([5, 20, 40, 70, 90], seed=11, name="Quinn"))
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        open_dashboard(page, server, team_user)
        page.goto(f"{server.url}/?range=1h&previous=1")
        live(page)
        expect(page.locator("#chart-time g.previous-period path")).to_have_count(1)
        assert_charts_fit(page)
        assert page.evaluate(INSIDE_CARD_JS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_rise_a_fall_and_the_overlay_pass_axe_in_both_themes(browser, server, team_user, scheme):
    # More records this hour than the hour before (a rise), and less spend (a fall).
    in_thread(lambda: records_at([5, 20, 40], seed=12, name="Quinn", spent=Decimal("1.00")))
    in_thread(lambda: records_at([70, 90], seed=13, name="Quinn", spent=Decimal("100.00")))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        page.emulate_media(color_scheme=scheme)
        open_dashboard(page, server, team_user)
        page.goto(f"{server.url}/?range=1h&previous=1")
        live(page)
        expect(page.locator("#change-records")).to_have_attribute("data-kind", "up")
        expect(page.locator("#change-spend")).to_have_attribute("data-kind", "down")
        expect(page.locator("#change-spend")).to_contain_text("\u25bc \u2212")  # ▼ and a minus sign
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(AXE_RUN_JS) == []
    finally:
        context.close()
