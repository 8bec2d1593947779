"""Import spend records from a CSV file (or - for standard input) through feeds.services."""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from feeds.imports import (
    DEFAULT_BATCH,
    MAX_BATCH,
    ImportFailed,
    ImportOptions,
    ImportReport,
    csv_import,
    csv_import_all_or_nothing,
    mapping_parse,
    report_line,
    source_check,
)
from feeds.rows import RowError

ENCODING = "utf-8-sig"  # a spreadsheet's byte order mark is not part of the first column name
PLAIN_EVERY = 2.0  # seconds between progress lines when the output is not a terminal


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", help="a CSV file with a header line, or - for stdin")
        parser.add_argument("--map", default="", help='columns to fields: "Amount=spent,Who=name"')
        parser.add_argument(
            "--source", help="the records' source (default import:FILENAME); keep it to re-run"
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, write none")
        parser.add_argument(
            "--all-or-nothing", action="store_true", help="write nothing if any row is bad"
        )
        parser.add_argument(
            "--dedupe-by-content",
            action="store_true",
            help="rows without an external_id get a hash of their values as one",
        )
        parser.add_argument(
            "--rejects", help="where bad rows are listed (default FILE.rejects.csv)"
        )
        parser.add_argument(
            "--batch", default=str(DEFAULT_BATCH), help=f"records per transaction (1-{MAX_BATCH})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        name = "stdin" if path == "-" else Path(path).name
        try:
            batch = int(options["batch"])
            if not 1 <= batch <= MAX_BATCH:
                raise ValueError
        except ValueError:
            raise CommandError(f"--batch: a whole number from 1 to {MAX_BATCH}") from None
        try:
            import_options = ImportOptions(
                source=source_check(options["source"] or f"import:{name}"),
                mapping=mapping_parse(options["map"]),
                dry_run=options["dry_run"],
                dedupe_by_content=options["dedupe_by_content"],
                batch_size=batch,
            )
        except ImportFailed as error:
            raise CommandError(str(error)) from None
        rejects_path = Path(
            options["rejects"] or ("rejects.csv" if path == "-" else f"{path}.rejects.csv")
        )
        started = time.monotonic()
        # Django's start-up objects live as long as the process: out of the collector's way,
        # or each full collection (a batch's records set one off) walks them all again.
        gc.freeze()
        with ExitStack() as stack:
            opener = stack.enter_context(stream_opener(path, again=options["all_or_nothing"]))
            rejects = stack.enter_context(RejectsFile(rejects_path))
            progress = stack.enter_context(self.progress(path, started))
            try:
                if options["all_or_nothing"]:
                    report = csv_import_all_or_nothing(
                        open_stream=opener,
                        options=import_options,
                        on_reject=rejects.write,
                        on_progress=progress,
                    )
                else:
                    report = csv_import(
                        stream=opener(),
                        options=import_options,
                        on_reject=rejects.write,
                        on_progress=progress,
                    )
            except ImportFailed as error:
                done = error.report or ImportReport()
                before = f"; {done.imported:,} records imported before it" if done.imported else ""
                raise CommandError(f"{path}: {error}{before}") from None
        line = report_line(report, seconds=time.monotonic() - started)
        if report.rejected:
            written = "; nothing written (--all-or-nothing)" if options["all_or_nothing"] else ""
            raise CommandError(f"{line}; rejects in {rejects_path}{written}")
        self.stdout.write(line)

    @contextmanager
    def progress(self, path: str, started: float) -> Iterator[Callable[[ImportReport], None]]:
        """A bar with rate and ETA on a terminal; a plain line every few seconds otherwise."""
        if sys.stderr.isatty():
            total = os.path.getsize(path) if path != "-" and os.path.isfile(path) else None
            bar = tqdm(total=total, unit="B", unit_scale=True, desc="import", file=sys.stderr)

            def advance(report: ImportReport) -> None:
                bar.update(report.chars - bar.n)
                bar.set_postfix(rows=report.rows, rejected=report.rejected, refresh=False)

            try:
                yield advance
            finally:
                bar.close()
            return
        last = [started]

        def line(report: ImportReport) -> None:
            now = time.monotonic()
            if now - last[0] >= PLAIN_EVERY:
                last[0] = now
                self.stdout.write(report_line(report, seconds=now - started))

        yield line


@contextmanager
def stream_opener(path: str, *, again: bool) -> Iterator[Callable[[], TextIO]]:
    """Opens the file as text (again, for --all-or-nothing's second pass: stdin is kept in a
    temporary file for it)."""
    with ExitStack() as stack:
        if path == "-":
            stdin = io.TextIOWrapper(sys.stdin.buffer, encoding=ENCODING, newline="")
            if not again:
                yield lambda: stdin
                return
            spool = stack.enter_context(tempfile.NamedTemporaryFile("wb", suffix=".csv"))
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.flush()
            path = spool.name
        if not os.path.isfile(path):
            raise CommandError(f"{path}: no such file")

        def reopen() -> TextIO:
            return stack.enter_context(open(path, encoding=ENCODING, newline=""))

        yield reopen


class RejectsFile:
    """line, field, reason for each bad row; created only if there is one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: TextIO | None = None
        self.writer: Any = None

    def __enter__(self) -> RejectsFile:
        return self

    def write(self, error: RowError) -> None:
        if self.file is None:
            self.file = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self.writer = csv.writer(self.file)
            self.writer.writerow(["line", "field", "reason"])
        self.writer.writerow([error.index, error.field, error.message])

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()
