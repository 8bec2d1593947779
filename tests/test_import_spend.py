"""import_spend (and the admin's upload, which shares feeds.imports)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from feeds.imports import ImportFailed, ImportOptions, csv_import
from feeds.models import SpendRecord
from tests.conftest import ROOT, process_env

HEADER = "id,created,name,spent,year,pay_type,quantity,total,tip,records\n"
GOOD = [
    "1,2026-01-31T12:00:00.000Z,Ben,12.34,2014,visa,1,20.00,1.00,1\n",
    "2,2026-01-31T12:00:01.000Z,Aziz,100.00,2013,cash,3,300.00,10.00,1\n",
]
BAD = "3,2026-01-31T12:00:02.000Z,Vijay,1.234,1999,cheque,0,20.00,1.00,1\n"


def csv_file(tmp_path: Path, *lines: str, name: str = "spend.csv") -> Path:
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """The command in its own process, as a user runs it (exit code, stdout, stderr)."""
    return subprocess.run(
        [sys.executable, "manage.py", "import_spend", *args],
        cwd=ROOT,
        env=process_env(),
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_an_export_shaped_file_is_imported_and_a_rerun_stores_nothing_twice(tmp_path):
    path = csv_file(tmp_path, HEADER, *GOOD)

    call_command("import_spend", str(path))
    call_command("import_spend", str(path))

    stored = SpendRecord.objects.order_by("external_id")
    assert [(r.external_id, r.name, str(r.spent), r.source) for r in stored] == [
        ("1", "Ben", "12.34", "import:spend.csv"),
        ("2", "Aziz", "100.00", "import:spend.csv"),
    ]


@pytest.mark.django_db
def test_bad_rows_go_to_the_rejects_file_and_the_good_ones_are_imported(tmp_path):
    path = csv_file(tmp_path, HEADER, GOOD[0], BAD, GOOD[1])

    with pytest.raises(CommandError, match="1 rejected"):
        call_command("import_spend", str(path))

    assert SpendRecord.objects.count() == 2
    rejects = (tmp_path / "spend.csv.rejects.csv").read_text().splitlines()
    assert rejects[0] == "line,field,reason"
    assert {line.split(",")[1] for line in rejects[1:]} == {"spent", "year", "pay_type", "quantity"}
    assert all(line.startswith("3,") for line in rejects[1:])


@pytest.mark.django_db
def test_all_or_nothing_writes_nothing_when_a_row_is_bad(tmp_path):
    path = csv_file(tmp_path, HEADER, GOOD[0], BAD)

    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_spend", str(path), "--all-or-nothing")
    call_command("import_spend", str(csv_file(tmp_path, HEADER, *GOOD)), "--all-or-nothing")

    assert SpendRecord.objects.count() == 2


@pytest.mark.django_db
def test_a_dry_run_checks_without_writing(tmp_path, capsys):
    call_command("import_spend", str(csv_file(tmp_path, HEADER, *GOOD)), "--dry-run")

    assert SpendRecord.objects.count() == 0
    assert "2 valid (dry run" in capsys.readouterr().out


@pytest.mark.django_db
def test_dedupe_by_content_makes_a_rerun_of_a_file_without_ids_idempotent(tmp_path):
    header = "When,Who,Amount,year,pay_type,quantity,total,tip\n"
    lines = [
        "2026-01-31T12:00:00Z,Ben,12.34,2014,visa,1,20.00,1.00\n",
        "2026-01-31T12:00:01Z,Ben,12.34,2014,visa,1,20.00,1.00\n",
    ]
    path = csv_file(tmp_path, header, *lines)
    mapping = "When=created,Who=name,Amount=spent"

    for _ in range(2):
        call_command("import_spend", str(path), "--map", mapping, "--dedupe-by-content")

    assert SpendRecord.objects.count() == 2
    assert all(r.external_id.startswith("sha256:") for r in SpendRecord.objects.all())


@pytest.mark.django_db
def test_a_summary_row_of_an_export_is_rejected_not_imported_as_one(tmp_path):
    summary = ",2026-01-31T12:00:00.000Z,Ben,500.00,2014,visa,,,,40\n"

    with pytest.raises(CommandError, match="1 rejected"):
        call_command("import_spend", str(csv_file(tmp_path, HEADER, GOOD[0], summary)))

    assert SpendRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\xff\xfe\x00garbage\n", "not UTF-8"),
        (b"a,b\n1,2\n", "missing column(s) name, spent"),
        (b"x" * 200_000, "longer than"),
        (b"\x00\x01\x02" * 10_000, "missing column(s)"),
    ],
)
def test_a_bad_file_is_one_clear_line_and_exit_1(tmp_path, transactional_db, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    result = run(str(path))

    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert SpendRecord.objects.count() == 0


def test_stdin_imports_with_a_plain_progress_line(transactional_db):
    result = run("-", stdin=(HEADER + "".join(GOOD)).encode())

    assert result.returncode == 0, result.stderr
    assert "2 rows: 2 imported, 0 already stored, 0 rejected" in result.stdout
    assert "\r" not in result.stdout  # not a terminal: plain lines, no bar
    assert SpendRecord.objects.count() == 2


def test_a_missing_file_is_one_clear_line(transactional_db, tmp_path):
    result = run(str(tmp_path / "nope.csv"))

    assert result.returncode == 1
    assert "no such file" in result.stderr


@pytest.mark.django_db
def test_the_admin_upload_takes_the_same_path_and_shows_the_report(admin_client):
    url = reverse("admin:feeds_spendrecord_import")
    upload = SimpleUploadedFile("card.csv", (HEADER + GOOD[0] + BAD).encode(), "text/csv")

    response = admin_client.post(url, {"file": upload})

    assert response.status_code == 200
    page = response.content.decode()
    assert "2 rows:" in page and "1 imported" in page and "1 rejected" in page
    assert (
        "By source"
        in admin_client.get(reverse("admin:feeds_spendrecord_changelist")).content.decode()
    )
    assert "is not a valid choice" in page
    assert list(SpendRecord.objects.values_list("source", flat=True)) == ["import:card.csv"]
    changelist = admin_client.get(reverse("admin:feeds_spendrecord_changelist")).content.decode()
    assert url in changelist


@pytest.mark.django_db
def test_the_admin_upload_reports_a_bad_file(admin_client):
    upload = SimpleUploadedFile("bad.csv", b"\xff\xfe", "text/csv")

    response = admin_client.post(reverse("admin:feeds_spendrecord_import"), {"file": upload})

    assert "not UTF-8" in response.content.decode()
    assert SpendRecord.objects.count() == 0


def test_on_a_terminal_a_progress_bar_shows_rate_and_rows(tmp_path, transactional_db):
    import fcntl
    import os
    import pty
    import struct
    import termios

    path = csv_file(tmp_path, HEADER, *GOOD)
    controller, terminal = pty.openpty()
    # A terminal 120 columns wide (a new pseudo-terminal has none).
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_spend", str(path)],
        cwd=ROOT,
        env=process_env(),
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the command has exited
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    process.wait(timeout=60)

    assert process.returncode == 0
    bar = shown.decode(errors="replace")
    assert "import: 100%" in bar and "B/s" in bar and "rows=2" in bar


@pytest.mark.django_db
def test_the_admin_upload_all_or_nothing_checks_then_writes(admin_client):
    url = reverse("admin:feeds_spendrecord_import")
    good = SimpleUploadedFile("good.csv", (HEADER + "".join(GOOD)).encode(), "text/csv")
    bad = SimpleUploadedFile("bad.csv", (HEADER + GOOD[0] + BAD).encode(), "text/csv")

    refused = admin_client.post(url, {"file": bad, "all_or_nothing": "on"})
    accepted = admin_client.post(url, {"file": good, "all_or_nothing": "on"})

    assert "1 rejected" in refused.content.decode()
    assert "2 imported" in accepted.content.decode()
    assert SpendRecord.objects.count() == 2


def test_a_record_running_over_many_lines_is_refused_before_it_is_read_whole():
    """Each line is under the line bound, but a quote left open makes one record of them all:
    fields of 60,000 characters (under csv's own field limit), one a line, held in memory
    until the record ends — a file's worth of them, for a file that never closes it."""
    field = "x" * 60_000
    text = HEADER + '1,"' + field + "\n" + ('","' + field + "\n") * 200

    with pytest.raises(ImportFailed, match="line 3: a record longer than") as failed:
        csv_import(stream=io.StringIO(text), options=ImportOptions(source="t", dry_run=True))

    report = failed.value.report
    assert report is not None and report.chars < 3 * 61_000
