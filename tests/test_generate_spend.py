from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from feeds.generator import DEFAULT_NAMES, GENERATED_PAY_TYPES
from feeds.models import SpendRecord
from tests.conftest import ROOT, process_env

VALUE_FIELDS = ("name", "spent", "year", "pay_type", "quantity", "total", "tip")


def generate(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("generate_spend", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_count_stops_after_exactly_that_many_records_in_tutorial_ranges():
    output = generate("--count", "25", "--rate", "1000")

    records = list(SpendRecord.objects.all())
    assert len(records) == 25
    assert "Done: 25 records written" in output
    for record in records:
        assert record.name in DEFAULT_NAMES
        assert 1 <= record.spent < 150
        assert 2012 <= record.year <= 2015
        assert record.pay_type in GENERATED_PAY_TYPES
        assert 1 <= record.quantity <= 3
        assert 30 <= record.total < 1000
        assert 10 <= record.tip < 100


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_makes_the_same_records():
    def values() -> list[tuple]:
        return list(SpendRecord.objects.order_by("id").values_list(*VALUE_FIELDS))

    generate("--count", "12", "--rate", "1000", "--seed", "42")
    first = values()
    SpendRecord.objects.all().delete()
    generate("--count", "12", "--rate", "1000", "--seed", "42")
    generate_other = values()
    SpendRecord.objects.all().delete()
    generate("--count", "12", "--rate", "1000", "--seed", "43")

    assert first == generate_other
    assert values() != first


@pytest.mark.django_db(transaction=True)
def test_batch_and_names_options():
    output = generate("--count", "7", "--batch", "3", "--rate", "1000", "--names", "Ann, Bo,Ann")

    assert set(SpendRecord.objects.values_list("name", flat=True)) <= {"Ann", "Bo"}
    assert SpendRecord.objects.count() == 7
    assert "in batches of 3" in output


def done_rate(output: str) -> float:
    done = [line for line in output.splitlines() if line.startswith("Done: ")]
    assert len(done) == 1, output
    return float(re.search(r"\(([\d.]+)/s\)", done[0]).group(1))


@pytest.mark.django_db(transaction=True)
def test_a_counted_run_says_what_it_will_do_and_not_that_ctrl_c_stops_it():
    output = generate("--count", "2", "--rate", "50")

    assert "Ctrl-C" not in output
    assert output.splitlines()[0] == "Generating 2 records at 50 records/s."


@pytest.mark.django_db(transaction=True)
def test_one_record_one_batch_in_the_singular():
    output = generate("--count", "1", "--rate", "1")

    assert output.splitlines() == [
        "Generating 1 record at 1 record/s.",
        "Done: 1 record written (1.0/s), 1 batch broadcast, 0 broadcast failures",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_reported_rate_is_never_above_the_rate_asked_for():
    # Two records at 50/s stand for 40 ms of the schedule, however quickly they are written.
    assert done_rate(generate("--count", "2", "--rate", "50")) <= 50.0
    assert done_rate(generate("--count", "30", "--rate", "200", "--batch", "10")) <= 200.0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--rate", "0"], "--rate: must be from 0.01 to 100000"),
        (["--rate", "-5"], "--rate: must be from 0.01 to 100000"),
        (["--rate", "fast"], "--rate: expected records per second"),
        (["--rate", "nan"], "--rate: must be from 0.01 to 100000"),
        (["--rate", "inf"], "--rate: must be from 0.01 to 100000"),
        (["--rate", "1e9"], "--rate: must be from 0.01 to 100000"),
        (["--count", "0"], "--count: must be from 1"),
        (["--count", "2.5"], "--count: expected a whole number"),
        (["--count", "1e12"], "--count: expected a whole number"),
        (["--count", "99999999999"], "--count: must be from 1 to"),
        (["--batch", "0"], "--batch: must be from 1"),
        (["--batch", "-1"], "--batch: must be from 1"),
        (["--seed", "x"], "--seed: expected a whole number"),
        (["--names", " , "], "--names: expected comma-separated names"),
    ],
)
def test_bad_arguments_are_a_clear_command_error_and_write_nothing(args, message):
    with pytest.raises(CommandError, match=message.replace("+", r"\+")):
        generate(*args)
    assert not SpendRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "args, exit_code, message",
    [
        (["--rate", "-1"], 1, "CommandError: --rate: must be from 0.01"),  # a bad value
        (["--sped", "3"], 2, "unrecognized arguments: --sped 3"),  # a usage error
        # Issue 12: each of these wrote, then crashed, slept for years or ran out of memory.
        (["--rate", "1e-300", "--count", "2"], 1, "--rate: must be from 0.01 to 100000"),
        (["--rate", "1e-9"], 1, "--rate: must be from 0.01 to 100000"),
        (["--batch", "1000000000"], 1, "--batch: must be from 1 to 5000"),
        (["--names", "Ann\u202egnp.exe"], 1, "--names: Names cannot hold control"),
    ],
)
def test_from_the_command_line_a_mistake_is_one_clear_line(args, exit_code, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "generate_spend", *args],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == exit_code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not SpendRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("redis_url", ["garbage", "redis://127.0.0.1:notaport/0"])
def test_a_malformed_redis_url_is_one_clear_line_before_any_write(redis_url):
    result = subprocess.run(
        [sys.executable, "manage.py", "generate_spend", "--count", "2", "--rate", "50"],
        cwd=ROOT,
        env=process_env(REDIS_URL=redis_url),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.strip().startswith("rtviz: REDIS_URL"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not SpendRecord.objects.exists()
