"""Names are shown isolated (unicode-bidi: isolate), so a right-to-left name cannot reorder
the text around it; direction controls themselves are refused (feeds.validators)."""

from __future__ import annotations

import random

from feeds.generator import spend_records_generate
from feeds.services import records_create
from tests.e2e.conftest import assert_page_matches_database, in_thread

ISOLATED = """() => [
  ...document.querySelectorAll('#table-latest td'),
  ...document.querySelectorAll('#chart-person text'),
  document.querySelector('[data-testid=username]'),
].map((element) => getComputedStyle(element).unicodeBidi)"""


def test_every_name_on_the_page_is_isolated(page):
    names = ["عزيز", "Ann"]
    records = spend_records_generate(rng=random.Random(5), count=6, names=names)
    in_thread(lambda: records_create(records=records))
    assert_page_matches_database(page)

    styles = page.evaluate(ISOLATED)

    assert styles and set(styles) == {"isolate"}
