"""The page as a user sees it: what a new user hit (issue 13), each guarded by a test that
looks at the page — its text, its boxes, its focus — rather than at the data alone."""

from __future__ import annotations

import os
import random
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db.models import Sum
from playwright.sync_api import Page, expect

from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import record_update, records_create
from tests.conftest import ROOT, session_cookie
from tests.e2e.conftest import (
    forgive_reconnect_noise,
    in_thread,
    live,
    open_dashboard,
    records_make,
    restart,
)

SCREENSHOTS = os.environ.get("RTVIZ_SCREENSHOTS")  # a folder for the layout test's screenshots

PEOPLE = (
    "Aziz Ansari", "Ben", "Chidi", "Dana", "Eleanor", "Fatima", "Gus", "Hiro", "Ines", "Jarrod",
    "Kofi", "Lena", "Mateo", "Nadia", "Olu", "Priya", "Quinn", "Rosa", "Vijay",
)  # fmt: skip


@pytest.fixture
def staff_user(db) -> User:
    # Users outlive a test here (other files' flushes), records do not: reuse one.
    return User.objects.filter(username="boss").first() or User.objects.create_superuser(
        "boss", password="x"
    )


def spread_make(count: int, *, hours: float = 30, seed: int = 1) -> list[SpendRecord]:
    """`count` records by 19 people, spread over the last `hours`."""

    def make() -> list[SpendRecord]:
        rng = random.Random(seed)
        records = spend_records_generate(rng=rng, count=count, names=PEOPLE)
        for record in records:
            record.created -= timedelta(seconds=rng.uniform(0, hours * 3600))
        return records_create(records=records)

    return in_thread(make)


def reopen(page: Page, url: str) -> None:
    page.goto(url)
    live(page)


def selection_text(page: Page) -> str:
    return page.locator("#data-count").inner_text()


def drag(page: Page, selector: str, start: float, end: float) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end, y, steps=5)
    page.mouse.up()


# 1. A range filter in the URL -------------------------------------------------------------


@pytest.mark.parametrize("query", ["amount=20_60", "amount=200_300", "time"])
def test_a_brushed_range_in_the_url_survives_a_reload(page, server, query):
    spread_make(40, hours=2)
    if query == "time":
        now = int(time.time() * 1000)
        query = f"time={now - 3_600_000}_{now + 60_000}"
    reopen(page, f"{server.url}/?{query}")

    expect(page.locator("#chart-time svg")).to_be_visible()
    expect(page.locator("#chart-person svg")).to_be_visible()
    expect(page.locator("#data-count")).to_contain_text("of 40 records selected")
    page.click("#reset-all")
    expect(page.locator("#data-count")).to_contain_text("All 40 records selected")
    expect(page.locator("#table-latest tbody tr")).to_have_count(25)


@pytest.mark.parametrize(
    "query",
    ["amount=abc", "time=1_", "amount=60_20", f"person={'x' * 10_000}", f"time={'9' * 10_000}_1"],
    ids=["letters", "half", "reversed", "long-name", "long-number"],
)
def test_a_malformed_query_string_is_ignored(page, server, query):
    records_make(30)
    reopen(page, f"{server.url}/?{query}")

    expect(page.locator("#chart-amount svg")).to_be_visible()
    expect(page.locator("#table-latest tbody tr")).to_have_count(25)
    expect(page.locator("#number-records")).not_to_have_text("0")


# 2. Spend by person: sorted, capped, an "Others" row ---------------------------------------


def row_labels(page: Page, chart: str) -> list[str]:
    return page.locator(f"{chart} g.row text").all_text_contents()


def test_spend_by_person_is_sorted_and_capped_with_an_others_row(page, server):
    spread_make(300)
    reopen(page, server.url)

    labels = row_labels(page, "#chart-person")
    assert 5 <= len(labels) <= 11  # ten people and "Others"
    assert labels[-1].startswith("Others")
    spend = dict(SpendRecord.objects.values_list("name").annotate(s=Sum("spent")))
    shown = labels[:-1]
    assert shown == sorted(spend, key=lambda name: -spend[name])[: len(shown)]
    widths = [float(w) for w in page.locator("#chart-person g.row rect").evaluate_all(
        "rects => rects.map((r) => r.getBBox().width)"
    )]  # fmt: skip
    assert min(widths) >= 2  # the smallest bar is still seen

    page.locator("#chart-person g.row:has(text:text-matches('^Others')) rect").click()

    rest = SpendRecord.objects.exclude(name__in=shown).count()
    expect(page.locator("#data-count")).to_contain_text(f"{rest} of 300 records selected")
    expect(page).to_have_url(re.compile(r"person="))


def test_pay_types_are_sorted_by_spend(page, server):
    spread_make(200)
    reopen(page, server.url)

    labels = row_labels(page, "#chart-pay-type")
    spend = dict(SpendRecord.objects.values_list("pay_type").annotate(s=Sum("spent")))
    assert labels == sorted(spend, key=lambda pay_type: -spend[pay_type])


# 3. Charts fit their cards and follow the window ------------------------------------------

CHART_OVERFLOW_JS = """() => [...document.querySelectorAll('figure.chart')].map((figure) => {
  const style = getComputedStyle(figure);
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const content = figure.clientWidth - padding;
  const svg = figure.querySelector('svg');
  return { id: figure.id, content, svg: svg ? +svg.getAttribute('width') : 0 };
})"""


def assert_charts_fit(page: Page) -> list[dict]:
    charts = page.evaluate(CHART_OVERFLOW_JS)
    for chart in charts:
        assert 0 < chart["svg"] <= chart["content"] + 0.5, chart
    return charts


def test_charts_follow_a_window_resize(page, server):
    spread_make(60)
    reopen(page, server.url)
    wide = {c["id"]: c["svg"] for c in assert_charts_fit(page)}

    page.set_viewport_size({"width": 700, "height": 900})

    page.wait_for_function(
        "(wide) => +document.querySelector('#chart-time svg').getAttribute('width') < wide",
        arg=wide["chart-time"],
    )
    narrow = {c["id"]: c["svg"] for c in assert_charts_fit(page)}
    assert narrow["chart-amount"] < wide["chart-amount"]


# The layout check at every width: cards hold their charts, no text overlaps, the table fits
# or scrolls visibly.

OVERLAPS_JS = """() => {
  const overlaps = [];
  const check = (name, nodes) => {
    const boxes = nodes.filter((n) => n.textContent.trim())
      .map((n) => [n.textContent, n.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, p] = boxes[i]; const [b, q] = boxes[j];
      const apart = p.right - 0.5 <= q.left || q.right - 0.5 <= p.left
        || p.bottom - 0.5 <= q.top || q.bottom - 0.5 <= p.top;
      if (!apart) {
        overlaps.push(`${name}: "${a}" / "${b}"`);
      }
    }
  };
  document.querySelectorAll('figure.chart g.axis').forEach((axis) => {
    const name = axis.closest('figure').id + ' ' + axis.getAttribute('class');
    check(name, [...axis.querySelectorAll('g.tick text')]);
  });
  document.querySelectorAll('figure.chart').forEach((figure) => {
    check(figure.id + ' rows', [...figure.querySelectorAll('g.row text')]);
  });
  return overlaps;
}"""

TABLE_JS = """() => {
  const scroll = document.querySelector('.table-scroll');
  const style = getComputedStyle(scroll);
  return { scrollWidth: scroll.scrollWidth, clientWidth: scroll.clientWidth,
           overflowX: style.overflowX, pageWidth: document.documentElement.scrollWidth };
}"""


@pytest.mark.parametrize("width", [360, 390, 768, 1280, 1920, 2560])
def test_the_layout_holds_at_every_width(browser, server, team_user, width):
    spread_make(400)
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        open_dashboard(page, server, team_user)
        page.locator("#table-latest tbody tr").first.wait_for()
        if SCREENSHOTS:  # to look at, beside the checks
            page.screenshot(path=f"{SCREENSHOTS}/layout-{width}.png", full_page=True)

        assert_charts_fit(page)
        assert page.evaluate(OVERLAPS_JS) == []
        table = page.evaluate(TABLE_JS)
        assert table["pageWidth"] <= width  # nothing widens the page itself
        if table["scrollWidth"] > table["clientWidth"]:
            assert table["overflowX"] in ("auto", "scroll")
    finally:
        context.close()


# 4. The time axis: one clock, dates where they change, a title naming the zone -------------


def test_the_time_axis_uses_the_tables_clock_and_names_the_zone(page, server):
    spread_make(200, hours=40)
    reopen(page, server.url)

    ticks = page.locator("#chart-time g.axis.x g.tick text").all_text_contents()
    assert ticks
    assert not [t for t in ticks if re.fullmatch(r":\d\d", t)]
    first_time = page.locator("#table-latest tbody tr td").first.inner_text()
    if re.search(r"[AP]M", first_time):  # the browser's clock is 12-hour: say AM/PM everywhere
        assert all(re.search(r"[AP]M", t) for t in ticks if ":" in t)
    assert any(re.search(r"[A-Z][a-z]{2} \d{1,2}|\d{1,2} [A-Z][a-z]{2}", t) for t in ticks)
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    expect(page.locator("#chart-time .x-axis-label")).to_contain_text(zone)


# 5. The amount chart: whole counts, an outlier in its own bin ------------------------------


def test_the_amount_axis_counts_in_whole_numbers(page, server):
    records_make(2)
    reopen(page, server.url)

    labels = page.locator("#chart-amount g.axis.y g.tick text").all_text_contents()
    assert labels and len(labels) == len(set(labels)), labels


def test_one_outlier_does_not_squeeze_the_amount_chart(page, server):
    records = records_make(200)
    outlier = records[0]
    outlier.spent = Decimal("5000.00")
    in_thread(lambda: record_update(record=outlier))
    reopen(page, server.url)

    ticks = page.locator("#chart-amount g.axis.x g.tick text").all_text_contents()
    assert any(t.startswith("≥") for t in ticks), ticks
    spans = page.locator("#chart-amount rect.bar").evaluate_all(
        "bars => bars.map((b) => b.getBBox()).map((b) => [b.x, b.x + b.width])"
    )
    plot = page.locator("#chart-amount g.chart-body").evaluate("g => g.getBBox().width")
    left = min(s[0] for s in spans)
    right = max(s[1] for s in spans)
    assert right - left > 0.5 * plot


# 6. Loading, 7. a dead server, 8. pause ----------------------------------------------------


def test_the_page_shows_loading_until_the_history_arrives(anonymous_page, server, team_user):
    page = anonymous_page
    page.route_web_socket(re.compile(".*"), lambda ws: None)  # a socket that never answers
    name, value = session_cookie(team_user).split("=", 1)
    page.context.add_cookies([{"name": name, "value": value, "url": server.url}])
    page.goto(server.url)

    expect(page.locator("#loading")).to_be_visible()
    expect(page.locator("#loading")).to_contain_text("Loading")
    assert "0 records" not in selection_text(page)
    assert page.locator("#number-spend").inner_text() != "$0.00"
    assert not [
        t for t in page.locator("#chart-time g.tick text").all_text_contents() if "2000" in t
    ]


def test_a_dead_server_shows_how_old_the_data_is_and_retries(
    page, server, static_root, console_errors
):
    records_make(5)
    expect(page.locator("#number-records")).to_have_text("5")

    server.process.terminate()
    banner = page.locator("#stale")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text(re.compile(r"data as of \d{1,2}:\d\d:\d\d"))
    restart(server, static_root)
    banner.get_by_role("button", name=re.compile("Retry", re.I)).click()

    expect(page.locator("#status")).to_have_text("Live")
    expect(banner).to_be_hidden()
    forgive_reconnect_noise(console_errors)


REDRAW_COUNTER_JS = """() => {
  window.redrawsSeen = 0;
  for (const name of ['redrawAll', 'renderAll']) {
    const original = dc[name];
    dc[name] = (...args) => { window.redrawsSeen += 1; return original(...args); };
  }
}"""


def test_pause_says_what_waits_and_redraws_nothing(page):
    records_make(10)
    expect(page.locator("#number-records")).to_have_text("10")

    page.click("#pause")
    page.evaluate(REDRAW_COUNTER_JS)
    drawn = page.locator("#chart-person svg").inner_html()
    records_make(5, seed=5)

    expect(page.locator("#status")).to_contain_text("Paused — 5 new records")
    expect(page.locator("#status")).to_contain_text(re.compile(r"as of \d{1,2}:\d\d:\d\d"))
    assert page.evaluate("window.redrawsSeen") == 0
    assert page.locator("#chart-person svg").inner_html() == drawn
    expect(page.locator("#number-records")).to_have_text("10")
    page.click("#pause")

    expect(page.locator("#number-records")).to_have_text("15")
    expect(page.locator("#status")).to_have_text("Live")


# 9. One count, one redraw ------------------------------------------------------------------

COUNT_WATCH_JS = """() => {
  window.countMismatches = [];
  const number = (text) => +text.replace(/[^0-9 ]/g, ' ').trim().split(/\\s+/)[0];
  const check = () => {
    const records = document.getElementById('number-records').textContent;
    const selected = document.getElementById('data-count').textContent;
    if (number(records) !== number(selected)) {
      window.countMismatches.push(`${records} / ${selected}`);
    }
  };
  new MutationObserver(check).observe(document.getElementById('dashboard'),
    { subtree: true, childList: true, characterData: true });
}"""


def test_the_record_count_and_the_selection_agree_in_every_frame(page):
    page.evaluate(COUNT_WATCH_JS)
    for seed in range(6):
        records_make(3, seed=seed + 10)
        expect(page.locator("#number-records")).to_have_text(str(3 * (seed + 1)))

    assert page.evaluate("window.countMismatches") == []


# 10. The table on a phone ------------------------------------------------------------------


CELLS_OUTSIDE_JS = """() => {
  const right = document.querySelector('.table-scroll').getBoundingClientRect().right;
  return [...document.querySelectorAll('#table-latest th, #table-latest td')]
    .filter((cell) => cell.offsetParent !== null)
    .filter((cell) => cell.getBoundingClientRect().right > right + 0.5)
    .map((cell) => cell.textContent);
}"""


def test_on_a_phone_the_table_fits(page, server):
    spread_make(60)  # long names, "mastercard"
    page.set_viewport_size({"width": 360, "height": 800})
    reopen(page, server.url)
    page.locator("#table-latest tbody tr").first.wait_for()

    table = page.evaluate(TABLE_JS)
    assert table["scrollWidth"] <= table["clientWidth"], table
    assert page.evaluate(CELLS_OUTSIDE_JS) == []
    headers = page.locator("#table-latest th:visible").all_text_contents()
    assert {"Time", "Name", "Spent", "Pay type"} <= set(headers)


# 11. Focus rings, header links -------------------------------------------------------------

FOCUS_OUTLINE_JS = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth);
  return { tag: element.tagName, outline };
}"""


def test_a_mouse_drag_leaves_no_focus_ring_but_the_keyboard_does(page):
    records_make(50)
    page.reload()
    live(page)

    drag(page, "#chart-amount g.brush rect.overlay", 0.3, 0.6)
    assert page.evaluate(FOCUS_OUTLINE_JS)["outline"] == 0

    page.locator("#range").focus()
    page.keyboard.press("Shift+Tab")  # a keyboard move: the focused thing shows it
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_OUTLINE_JS)["outline"] > 0


def test_header_links_are_styled_alike(page, staff_user, server):
    open_dashboard(page, server, staff_user)
    admin = page.locator(".account a", has_text="Admin")
    logout = page.locator(".account button", has_text="Log out")
    colour = admin.evaluate("a => getComputedStyle(a).color")
    assert colour != "rgb(0, 0, 238)"  # not the browser's default link blue
    assert colour == logout.evaluate("b => getComputedStyle(b).color")


# 13. No console warnings in normal use -----------------------------------------------------


def test_filtering_prints_no_console_warning(page, console_errors):
    records_make(60)
    page.reload()
    live(page)

    page.locator("#chart-year g.pie-slice path").first.click()
    page.locator("#chart-pay-type g.row rect").first.click()
    drag(page, "#chart-amount g.brush rect.overlay", 0.2, 0.7)
    # dc applies a brush's filter a moment after the drag ends: wait for it before resetting.
    expect(page).to_have_url(re.compile(r"amount=\d+_\d+"))
    page.click("#reset-all")
    expect(page.locator("#data-count")).to_contain_text("All 60 records selected")
    assert console_errors == []


# Beyond the fixes: themes, TV mode, filter chips, drill-down -------------------------------

BACKGROUND_JS = "() => getComputedStyle(document.body).backgroundColor"


def luminance(css_rgb: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_rgb)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(page, server):
    page.emulate_media(color_scheme="dark")
    assert luminance(page.evaluate(BACKGROUND_JS)) < 0.2
    expect(page.locator("#theme")).to_have_attribute("aria-pressed", "true")

    page.click("#theme")  # light, against the system's choice
    assert luminance(page.evaluate(BACKGROUND_JS)) > 0.8
    page.reload()
    live(page)
    assert luminance(page.evaluate(BACKGROUND_JS)) > 0.8
    expect(page.locator("#theme")).to_have_attribute("aria-pressed", "false")


def test_tv_mode_has_no_controls_and_large_numbers(page, server):
    spread_make(50)
    page.set_viewport_size({"width": 1920, "height": 1080})
    reopen(page, f"{server.url}/?tv=1")

    for control in ("#pause", "#export", "#reset-all", "#range", ".latest", "#theme"):
        expect(page.locator(control)).to_be_hidden()
    size = page.locator("#number-records").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 40
    assert_charts_fit(page)
    assert page.evaluate(OVERLAPS_JS) == []
    height = page.locator("#chart-time svg").evaluate("svg => +svg.getAttribute('height')")
    assert height > 300  # the charts grow to the screen
    expect(page).to_have_url(re.compile(r"tv=1"))


def test_filter_chips_list_every_filter_and_remove_it(page, server):
    records_make(80)
    year = SpendRecord.objects.values_list("year", flat=True).first()
    reopen(page, f"{server.url}/?year={year}&amount=20_60")

    chips = page.locator("#chips button")
    expect(chips).to_have_count(2)
    expect(page.locator("#chips")).to_contain_text(f"Year {year}")
    expect(page.locator("#chips")).to_contain_text("Amount $20\u2013$60")

    chips.filter(has_text="Amount").click()
    expect(chips).to_have_count(1)
    selected = SpendRecord.objects.filter(year=year).count()
    expect(page.locator("#data-count")).to_contain_text(f"{selected} of 80 records selected")
    expect(chips.first).to_be_focused()  # focus moves on to the next chip
    page.keyboard.press("Delete")
    expect(page.locator("#chips")).to_be_hidden()
    expect(page.locator("#data-count")).to_contain_text("All 80 records selected")
    expect(page).not_to_have_url(re.compile(r"year=|amount="))


def test_a_table_row_opens_its_record_with_an_edit_link_for_staff(page, server, staff_user):
    (record,) = records_make(1)
    row = page.locator("#table-latest tbody tr").first
    row.click()

    dialog = page.locator("#record")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(record.name)
    expect(dialog).to_contain_text(f"${record.spent}")
    expect(dialog).to_contain_text("No changes from the admin.")
    expect(dialog.locator("a.edit")).to_be_hidden()  # a team member, not staff
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    open_dashboard(page, server, staff_user)
    page.locator("#table-latest tbody tr").first.focus()
    page.keyboard.press("Enter")
    expect(dialog.locator("a.edit")).to_have_attribute(
        "href", re.compile(rf"/admin/feeds/spendrecord/{record.pk}/change/")
    )


# Accessibility: axe-core (pinned in package.json) in both themes, and the keyboard --------

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN_JS = """async () => {
  const result = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
  const where = (v) => v.nodes.map((n) => n.target.join(' ')).join(', ');
  return result.violations.map((v) => `${v.id}: ${where(v)}`);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_passes_axe_in_both_themes(browser, server, team_user, scheme):
    spread_make(80)
    # axe is injected as an inline script, which the page's own policy rightly refuses.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        page.emulate_media(color_scheme=scheme)
        open_dashboard(page, server, team_user)
        page.locator("#table-latest tbody tr").first.wait_for()
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(AXE_RUN_JS) == []
    finally:
        context.close()


def test_every_control_is_reached_by_the_keyboard(page, server):
    records_make(20)
    reopen(page, server.url)
    reached = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.add(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.id || e.closest('[id]')?.id || e.tagName; }"
            )
        )
    wanted = {"theme", "range", "pause", "export", "reset-all", "chart-year", "chart-person"}
    wanted |= {"chart-pay-type", "chart-amount", "chart-time", "previous", "table-latest"}
    assert wanted <= reached, wanted - reached
