"""CSV in: a file streamed a line at a time (constant memory, whatever its size), each row
checked by the model's validators (feeds.rows), the good ones stored in batches through
feeds.services (so open dashboards update while it runs), the bad ones reported. The command
(import_spend) and the admin's upload both call csv_import."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TextIO

from feeds.models import EXTERNAL_ID_MAX_LENGTH, SOURCE_MAX_LENGTH, SpendRecord
from feeds.rows import FIELDS, OPTIONAL, REQUIRED, RowError, record_build
from feeds.services import records_create

MAX_LINE_CHARS = 64 * 1024  # a longer line is not a spend record: the file is not one of ours
# Records per transaction. A batch's spend cells cost about the same whatever its size (one
# cell per bucket size, person, year, pay type and amount bin it touches: thousands), so larger
# batches cost less a record; 20,000 records hold ~30 MB, and the sequence lock for ~1 s, in
# which other writers wait (docs/benchmarks.md, the ingest section).
DEFAULT_BATCH = 20_000
MAX_BATCH = 50_000
# The dashboard's "Export CSV" columns (static/dashboard/js/csv.js): its record id becomes the
# external id, so importing an export twice stores it once; `records` is 1 for a whole record.
DEFAULT_MAP = {"id": "external_id"}
RECORDS_COLUMN = "records"
KNOWN = (*FIELDS, *OPTIONAL, RECORDS_COLUMN)


class ImportFailed(Exception):
    """The file cannot be read as spend records: one clear line says why. `report` counts
    what was done before it stopped (batches stored before are kept)."""

    report: ImportReport | None = None


@dataclass
class ImportReport:
    rows: int = 0  # data rows read
    imported: int = 0  # records written now
    existing: int = 0  # rows whose external id was stored already (a re-run)
    rejected: int = 0
    valid: int = 0  # rows that passed the checks (written, existing, or to be, in a dry run)
    chars: int = 0  # characters read, for progress
    dry_run: bool = False
    stopped: str = ""  # why it stopped before the end, if it did
    first_rejects: list[RowError] = field(default_factory=list)  # for a page to show


@dataclass(frozen=True)
class ImportOptions:
    source: str
    mapping: dict[str, str] = field(default_factory=dict)  # file column -> record field
    dry_run: bool = False
    dedupe_by_content: bool = False
    batch_size: int = DEFAULT_BATCH


Progress = Callable[[ImportReport], None]
Reject = Callable[[RowError], None]
SHOWN_REJECTS = 100


def mapping_parse(text: str) -> dict[str, str]:
    """--map "Amount=spent,Who=name" -> {"Amount": "spent", "Who": "name"}."""
    mapping = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        column, _, name = pair.partition("=")
        if not column.strip() or name.strip() not in KNOWN:
            raise ImportFailed(
                f"--map: expected COLUMN=FIELD pairs, FIELD one of {', '.join(KNOWN)}; got {pair!r}"
            )
        mapping[column.strip()] = name.strip()
    return mapping


def source_check(source: str) -> str:
    if not 1 <= len(source) <= SOURCE_MAX_LENGTH:
        raise ImportFailed(f"--source: 1 to {SOURCE_MAX_LENGTH} characters")
    return source


class Lines:
    """The stream's lines for csv.reader, each read with a bound: a file of garbage with no
    line breaks is refused at its first 64 KiB, not read whole. A record may run over several
    lines (a quoted field holding a line break), so a record is bounded too, all its lines
    together: a quote left open would otherwise hold the rest of the file in memory as one
    record. `record_done()` after each record the reader yields."""

    def __init__(self, stream: TextIO, report: ImportReport) -> None:
        self.stream, self.report = stream, report
        self.number = 0
        self.record_start = 0  # report.chars where the current record began

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        self.number += 1
        try:
            line = self.stream.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError as error:
            raise ImportFailed(
                f"line {self.number}: not UTF-8 text (byte {error.object[error.start]:#04x})"
            ) from None
        if not line:
            raise StopIteration
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise ImportFailed(f"line {self.number}: longer than {MAX_LINE_CHARS} characters")
        self.report.chars += len(line)
        if self.report.chars - self.record_start > MAX_LINE_CHARS:
            raise ImportFailed(
                f"line {self.number}: a record longer than {MAX_LINE_CHARS} characters "
                "(a quote left open?)"
            )
        return line

    def record_done(self) -> None:
        self.record_start = self.report.chars


def columns_resolve(header: list[str], mapping: dict[str, str]) -> list[str | None]:
    """The record field of each column (None: ignored); refuses a header that lacks one."""
    fields = []
    for column in (cell.strip() for cell in header):
        name = mapping.get(column) or DEFAULT_MAP.get(column) or column
        fields.append(name if name in KNOWN else None)
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        shown = ", ".join(cell.strip()[:40] for cell in header[:12])
        raise ImportFailed(
            f"missing column(s) {', '.join(missing)} (the header has: {shown}); "
            'name them with --map "COLUMN=field,..."'
        )
    return fields


def content_id(values: dict[str, object]) -> str:
    """A stable id from a row's values: the same row in a re-run gets the same one."""
    text = "\x1f".join(str(values.get(name, "")).strip() for name in (*FIELDS, "created"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[: EXTERNAL_ID_MAX_LENGTH - 7]


def row_values(
    fields: list[str | None], cells: list[str], line: int, options: ImportOptions
) -> tuple[dict[str, object], list[RowError]]:
    if len(cells) != len(fields):
        return {}, [RowError(line, "", f"{len(cells)} cells; the header has {len(fields)}")]
    values: dict[str, object] = {
        name: cell for name, cell in zip(fields, cells, strict=True) if name is not None
    }
    count = str(values.pop(RECORDS_COLUMN, "") or "1").strip()
    if count != "1":
        message = f"a summary of {count} records, not one record (export a shorter time range)"
        return {}, [RowError(line, RECORDS_COLUMN, message)]
    if options.dedupe_by_content and not values.get("external_id"):
        values["external_id"] = content_id(values)
    return values, []


def csv_import(
    *,
    stream: TextIO,
    options: ImportOptions,
    on_reject: Reject = lambda error: None,
    on_progress: Progress = lambda report: None,
) -> ImportReport:
    """Import (or, dry run, only check) every row; stops with ImportFailed on a file that is
    not spend records, after storing the batches before it (the report counts them)."""
    report = ImportReport(dry_run=options.dry_run)
    source = Lines(stream, report)
    reader = csv.reader(source)
    try:
        header = next(reader, None)
        source.record_done()
        if header is None or not any(cell.strip() for cell in header):
            raise ImportFailed("empty file: expected a header line of column names")
        fields = columns_resolve(header, options.mapping)
        batch: list[SpendRecord] = []
        for cells in reader:
            source.record_done()
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            report.rows += 1
            values, errors = row_values(fields, cells, reader.line_num, options)
            built = record_build(values=values, index=reader.line_num) if not errors else None
            if built is not None:
                errors = built.errors
            if errors:
                report.rejected += 1
                for error in errors:
                    if len(report.first_rejects) < SHOWN_REJECTS:
                        report.first_rejects.append(error)
                    on_reject(error)
                continue
            assert built is not None and built.record is not None
            report.valid += 1
            batch.append(built.record)
            if len(batch) >= options.batch_size:
                batch_store(batch, options, report)
                on_progress(report)
        batch_store(batch, options, report)
    except csv.Error as error:
        failed = ImportFailed(f"line {reader.line_num}: not CSV ({error})")
        failed.report = report
        raise failed from None
    except ImportFailed as failed:
        failed.report = report
        raise
    on_progress(report)
    return report


def csv_import_all_or_nothing(
    *,
    open_stream: Callable[[], TextIO],
    options: ImportOptions,
    on_reject: Reject = lambda error: None,
    on_progress: Progress = lambda report: None,
) -> ImportReport:
    """Check every row first (a dry run); write only if none is rejected."""
    checked = csv_import(
        stream=open_stream(),
        options=replace(options, dry_run=True),
        on_reject=on_reject,
        on_progress=on_progress,
    )
    if checked.rejected or options.dry_run:
        return checked
    return csv_import(stream=open_stream(), options=options, on_progress=on_progress)


def batch_store(batch: list[SpendRecord], options: ImportOptions, report: ImportReport) -> None:
    if batch and not options.dry_run:
        stored = records_create(records=batch, source=options.source)
        written = sum(1 for mine, kept in zip(batch, stored, strict=True) if mine is kept)
        report.imported += written
        report.existing += len(batch) - written
    batch.clear()


def report_line(report: ImportReport, *, seconds: float) -> str:
    rate = report.rows / seconds if seconds > 0 else 0.0
    done = (
        f"{report.valid:,} valid (dry run: nothing written)"
        if report.dry_run
        else f"{report.imported:,} imported, {report.existing:,} already stored"
    )
    return (
        f"{report.rows:,} rows: {done}, {report.rejected:,} rejected; "
        f"{seconds:.1f} s ({rate:,.0f} rows/s)"
    )
