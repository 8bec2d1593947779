"""The budgets panel: at rest, each budget's spend on the page equals SUM(spent) over its
scope and period in the database, to the cent; alerts appear live; a click filters."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from budgets.models import AlertEvent, Budget, Period
from budgets.services import budget_create, budget_update
from feeds.models import SpendRecord
from feeds.services import records_create
from tests.e2e.conftest import in_thread, records_make, restart
from tests.e2e.test_consistency import storm
from tests.test_budgets_services import database_spent, record

BUDGETS = [
    {"name": "Everyone", "amount": Decimal("900000.00"), "period": Period.YEAR},
    {"name": "Ben", "amount": Decimal("500.00"), "period": Period.MONTH, "person": "Ben"},
    {"name": "Visa", "amount": Decimal("700.00"), "period": Period.WEEK, "pay_type": "visa"},
    {"name": "Ben cash", "amount": Decimal("90.00"), "period": Period.QUARTER, "person": "Ben",
     "pay_type": "cash"},
]  # fmt: skip

PAGE_BUDGETS_JS = """() => Object.fromEntries([...document.querySelectorAll('#budgets .budget')]
  .map((row) => [row.dataset.budgetId, Number(row.dataset.spentCents)]))"""


def database_budgets() -> dict[str, int]:
    from django.utils import timezone

    now = timezone.now()
    return {str(b.pk): database_spent(b, moment=now) for b in Budget.objects.all()}


def assert_budgets_match_database(page, timeout_ms: float = 20_000) -> None:
    expected = database_budgets()
    try:
        page.wait_for_function(
            f"(expected) => JSON.stringify(({PAGE_BUDGETS_JS})()) === JSON.stringify(expected)",
            arg=expected,
            timeout=timeout_ms,
        )
    except Exception:
        assert page.evaluate(PAGE_BUDGETS_JS) == expected


def budgets_make() -> None:
    in_thread(lambda: [budget_create(**fields) for fields in BUDGETS])


def test_each_budgets_spend_on_the_page_equals_the_database_after_a_storm_and_a_restart(
    page, server, static_root, console_errors
):
    budgets_make()
    records_make(30)
    assert_budgets_match_database(page)
    in_thread(lambda: storm(120, seed=21))  # creates, edits (admin and service), deletes
    assert_budgets_match_database(page)
    restart(server, static_root)  # the page reconnects and replays
    records_make(5, seed=7)
    assert_budgets_match_database(page)
    assert page.locator("#budgets .budget-zone").inner_text() == "UTC"
    console_errors[:] = [e for e in console_errors if "WebSocket connection" not in e]


def test_an_alert_shows_a_notice_and_joins_the_list_on_every_open_page(page):
    budgets_make()
    records_make(1)
    expect(page.locator("#budgets .budget")).to_have_count(len(BUDGETS))
    before = page.locator("#budgets .alert-list li[data-alert-id]").count()
    in_thread(lambda: records_create(records=[record("Ben", "95.00", pay_type="cash")]))
    expect(page.locator("#alert-notice")).to_be_visible()
    expect(page.locator("#alert-notice")).to_contain_text("Ben cash")
    alerts = in_thread(lambda: AlertEvent.objects.count())
    assert alerts > before
    expect(page.locator("#budgets .alert-list li[data-alert-id]")).to_have_count(alerts)
    ben_cash = page.locator("#budgets .budget", has_text="Ben cash")
    expect(ben_cash).to_have_attribute("data-status", "over")


def test_a_budget_edit_reaches_the_page_live_and_a_click_filters_to_its_scope(page):
    budgets_make()
    records_make(10)
    expect(page.locator("#budgets .budget")).to_have_count(len(BUDGETS))

    def shrink() -> None:
        budget = Budget.objects.get(name="Visa")
        budget.amount = Decimal("0.01")
        budget_update(budget=budget)

    in_thread(shrink)
    visa = page.locator("#budgets .budget", has_text="Visa")
    expect(visa).to_have_attribute("data-amount-cents", "1")
    page.locator("#budgets .budget", has_text="Ben cash").click()
    page.wait_for_url("**person=Ben**")
    assert "payType=cash" in page.url
    totals = page.evaluate("window.rtvizTotals()")
    assert list(totals["byName"]) in ([], ["Ben"])
    ben_cash = SpendRecord.objects.filter(name="Ben", pay_type="cash")
    assert totals["count"] == ben_cash.count()
