"""The ingest bench compares the API with generate_spend on the same kind of records."""

from bench.ingest import NAMES, PAY_TYPES
from feeds.generator import DEFAULT_NAMES, GENERATED_PAY_TYPES


def test_the_ingest_bench_posts_the_people_and_pay_types_generate_spend_makes():
    assert NAMES == DEFAULT_NAMES
    assert tuple(pay_type.value for pay_type in GENERATED_PAY_TYPES) == PAY_TYPES
