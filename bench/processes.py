"""The processes a benchmark starts — daphne, generate_spend, the floor server, the Django
helper — and what it reads about them (memory, CPU) from /proc. Every process started here
is registered and stopped by `stop_all()`, which the runner calls in a `finally`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.daphne import APPLICATION, Daphne, process_stop
from harness.daphne import daphne_start as harness_daphne_start

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("RTVIZ_BENCH_DIR", "/tmp/rtviz-bench"))  # noqa: S108 - scratch
# Its own Redis db, or another given one (two checkouts benching side by side).
REDIS_URL = os.environ.get("RTVIZ_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

running: list[subprocess.Popen[str]] = []


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rtviz.settings",
        "SECRET_KEY": "rtviz-bench-only",
        "SECURE_COOKIES": "0",
        "DEBUG": "",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "STATIC_ROOT": str(WORK / "static"),
        "PYTHONUNBUFFERED": "1",
        "RTVIZ_LOG_LEVEL": "WARNING",
        # Every bench client is the one bench user: lift the per-user socket and connect
        # limits (dashboard.limits), which would otherwise refuse a crowd past 20.
        "DASHBOARD_MAX_SOCKETS_PER_USER": "100000",
        "DASHBOARD_MAX_SOCKETS": "100000",
        "DASHBOARD_CONNECTS_PER_MINUTE": "1000000",
        "DASHBOARD_CONNECTS_BURST": "100000",
        **extra,
    }


def start(command: list[str], env: dict[str, str], **popen: object) -> subprocess.Popen[str]:
    process = subprocess.Popen(command, cwd=ROOT, env=env, text=True, **popen)  # type: ignore[call-overload]
    running.append(process)
    return process


def stop(process: subprocess.Popen[str], *, timeout: float = 10) -> None:
    process_stop(process, timeout=timeout)
    if process in running:
        running.remove(process)


def stop_all() -> None:
    for process in list(running):
        stop(process, timeout=5)


def prepare(database_url: str, *args: str) -> dict[str, object]:
    """Run bench.prepare for one database; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.prepare", *args],
        cwd=ROOT,
        env=app_env(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"bench.prepare {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Server(Daphne):
    rss_at_start_kb: int = 0


def daphne_start(database_url: str, app: str = APPLICATION, **env: str) -> Server:
    """rtviz (or another ASGI app) under daphne in its own process, on a free port; `env`
    adds settings."""
    # Open while daphne runs, line-buffered: its log drains into it as it comes.
    log = (WORK / "daphne.log").open("a", buffering=1)
    daphne = harness_daphne_start(
        env=app_env(database_url, **env), log=log, app=app, stdout=subprocess.DEVNULL
    )
    running.append(daphne.process)
    return Server(daphne.process, daphne.port, memory_kb(daphne.process.pid)["VmRSS"])


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def generator_start(
    database_url: str,
    *,
    rate: float,
    count: int,
    extra: tuple[str, ...] = (),
    command: tuple[str, ...] = ("manage.py", "generate_spend"),
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """generate_spend, or another command that prints its `Done:` line (bench.seed)."""
    return start(
        [
            sys.executable,
            *command,
            "--rate",
            f"{rate:g}",
            "--count",
            str(count),
            *extra,
        ],
        app_env(database_url, **(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def generator_result(process: subprocess.Popen[str]) -> dict[str, float]:
    """Wait for generate_spend; the records it wrote, its own rate and its CPU time."""
    output, _ = process.communicate()
    if process in running:
        running.remove(process)
    match = re.search(
        r"Done: (\d+) records? written \(([\d.]+)/s\), "
        r"(\d+) batch(?:es)? broadcast, (\d+) broadcast",
        output,
    )
    if process.returncode or not match:
        raise RuntimeError(f"generate_spend failed ({process.returncode}):\n{output[-2000:]}")
    return {
        "written": int(match.group(1)),
        "rate": float(match.group(2)),
        "broadcast": int(match.group(3)),
        "broadcast_failures": int(match.group(4)),
    }


def wait_gone(process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
