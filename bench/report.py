"""The machine, the versions, the tables, and docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

START = "<!-- bench:start (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:end -->"


def machine() -> str:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    postgres = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    versions = ", ".join(
        f"{name} {version(name)}"
        for name in ("Django", "channels", "channels-redis", "daphne", "websockets", "psycopg")
    )
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs ({cpu}) · "
        f"{memory_kb / 2**20:.1f} GiB RAM · Python {platform.python_version()} · {versions} · "
        f"SQLite {sqlite3.sqlite_version} (WAL) · PostgreSQL {postgres or 'unknown'} · "
        f"Redis channel layer (db 13)"
    )


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[cell(value) for value in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def doc_write(path: Path, body: str) -> None:
    """Replace what lies between the markers; keep the hand-written analysis around them."""
    block = f"{START}\n{body.strip()}\n{END}"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, found, rest = text.partition(START)
    if not found:
        text = f"{text.rstrip()}\n\n{block}\n"
    else:
        _, _, tail = rest.partition(END)
        text = f"{head}{block}{tail}"
    path.write_text(text)
