from __future__ import annotations

import random

from feeds.generator import spend_records_generate
from feeds.models import PayType


def test_every_pay_type_a_record_may_have_is_generated_bitcoin_included():
    # The admin's and the dashboard's pay-type filters list every choice: each must turn up.
    records = spend_records_generate(rng=random.Random(3), count=500)

    assert {record.pay_type for record in records} == set(PayType.values)
