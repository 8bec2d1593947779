"""Generate mock spend records, store them and broadcast each batch to open dashboards."""

from __future__ import annotations

import argparse
import math
import random
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from feeds import broadcast
from feeds.generator import DEFAULT_NAMES, spend_records_generate
from feeds.models import SpendRecord
from feeds.services import records_create
from feeds.validators import name_validate

# Realistic bounds: below MIN_RATE the pause between ticks runs to hours (1e-9 slept 31 years;
# 1e-300 overflowed the sleep after the first write). A batch is built in memory and sent
# as one frame's worth at most.
MIN_RATE = 0.01
MAX_RATE = 100_000.0
MAX_COUNT = 10**9
# One transaction's worth: the broadcast splits it into frames (dashboard.wire) anyway.
MAX_BATCH = 5000
NAME_MAX_LENGTH: int = SpendRecord._meta.get_field("name").max_length or 0
MAX_TICKS_PER_SECOND = 10  # beyond this, records are batched rather than sent faster


# Options are checked here rather than by argparse, so that a bad value is a CommandError
# (exit code 1, one clear line) from the command line and from call_command alike.


def rate_option(value: object) -> float:
    try:
        rate = float(str(value))
    except ValueError:
        raise CommandError(f"--rate: expected records per second, got {value!r}") from None
    if not (math.isfinite(rate) and MIN_RATE <= rate <= MAX_RATE):
        raise CommandError(f"--rate: must be from {MIN_RATE:g} to {MAX_RATE:g}, got {value!r}")
    return rate


def count_option(name: str, value: object, *, highest: int = MAX_COUNT) -> int | None:
    if value is None:
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise CommandError(f"--{name}: expected a whole number, got {value!r}") from None
    if not 1 <= number <= highest:
        raise CommandError(f"--{name}: must be from 1 to {highest}, got {value!r}")
    return number


def seed_option(value: object) -> int | None:
    try:
        return None if value is None else int(str(value))
    except ValueError:
        raise CommandError(f"--seed: expected a whole number, got {value!r}") from None


def names_option(value: object) -> tuple[str, ...]:
    text = value if isinstance(value, str) else ",".join(map(str, value))  # type: ignore[call-overload]
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names or any(len(name) > NAME_MAX_LENGTH for name in names):
        raise CommandError(
            f"--names: expected comma-separated names of 1 to {NAME_MAX_LENGTH} characters"
        )
    try:
        for name in names:
            name_validate(name)
    except ValidationError as error:
        raise CommandError(f"--names: {error.messages[0]}") from None
    return names


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rate", default="1", help="records per second (default 1)")
        parser.add_argument("--count", help="stop after this many records (default: never)")
        parser.add_argument(
            "--batch", help="records per tick (default: enough for at most 10 ticks a second)"
        )
        parser.add_argument("--seed", help="seed for reproducible values")
        parser.add_argument(
            "--names", default=",".join(DEFAULT_NAMES), help="comma-separated people"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rate = rate_option(options["rate"])
        count = count_option("count", options["count"])
        batch = count_option("batch", options["batch"], highest=MAX_BATCH) or min(
            MAX_BATCH, math.ceil(rate / MAX_TICKS_PER_SECOND)
        )
        names = names_option(options["names"])
        rng = random.Random(seed_option(options["seed"]))
        written = 0
        sent, failed = broadcast.stats.sent, broadcast.stats.failed  # counts before this run
        started = next_tick = time.monotonic()
        next_report = started + 1
        self.stdout.write(plan_line(rate=rate, count=count, batch=batch))
        try:
            while count is None or written < count:
                size = batch if count is None else min(batch, count - written)
                records_create(records=spend_records_generate(rng=rng, count=size, names=names))
                written += size
                next_tick += size / rate
                now = time.monotonic()
                if now >= next_report:
                    self.report(written, max(now, next_tick) - started, sent, failed)
                    next_report = now + 1
                if count is None or written < count:
                    time.sleep(max(0.0, next_tick - time.monotonic()))
        except KeyboardInterrupt:
            self.stdout.write("")
        now = time.monotonic()
        self.report(written, max(now, next_tick) - started, sent, failed, final=True)

    def report(
        self, written: int, elapsed: float, sent: int, failed: int, *, final: bool = False
    ) -> None:
        # elapsed runs to the end of the last batch's slot in the schedule (size / rate
        # seconds), not to its write: two records at 50/s take 40 ms, however quickly written.
        rate = written / elapsed if elapsed > 0 else 0.0
        line = (
            f"{'Done: ' if final else ''}{plural(written, 'record')} written ({rate:.1f}/s), "
            f"{plural(broadcast.stats.sent - sent, 'batch')} broadcast, "
            f"{plural(broadcast.stats.failed - failed, 'broadcast failure')}"
        )
        self.stdout.write(line)


def plural(number: float, noun: str) -> str:
    ending = "" if number == 1 else ("es" if noun.endswith("ch") else "s")
    return f"{number if isinstance(number, int) else f'{number:g}'} {noun}{ending}"


def plan_line(*, rate: float, count: int | None, batch: int) -> str:
    per_second = f"{plural(rate, 'record')}/s"
    batches = f" in batches of {batch}" if 1 < batch < (count or math.inf) else ""
    if count is None:
        return f"Generating {per_second}{batches}; Ctrl-C stops."
    return f"Generating {plural(count, 'record')} at {per_second}{batches}."
