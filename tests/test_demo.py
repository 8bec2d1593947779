"""The demo command, in its own process as `make demo` runs it: real ports, a real Redis."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.management import CommandError, call_command

from tests.conftest import ROOT, free_port

STARTUP_SECONDS = 180  # migrations and three processes on a busy shared machine


def test_the_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="run it with DEBUG=1"):
        call_command("demo")


def test_an_unreachable_redis_is_a_plain_message_with_the_way_out(settings):
    settings.DEBUG = True
    settings.REDIS_URL = "redis://redis.invalid:6379/0"  # a name that resolves nowhere

    with pytest.raises(CommandError) as refused:
        call_command("demo", port=free_port())

    assert "Redis is not reachable at redis://redis.invalid:6379/0" in str(refused.value)
    assert "apt-get install redis-server" in str(refused.value)


class Demo:
    """`manage.py demo` in a process of its own, its output read line by line."""

    def __init__(self, tmp_path: Path, *args: str, redis_url: str) -> None:
        env = {
            **os.environ,
            "DEBUG": "1",
            "REDIS_URL": redis_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "demo", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.output.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no {pattern!r} in the demo's output: {''.join(self.output)}")

    def stop(self, signal_number: int) -> int:
        self.process.send_signal(signal_number)
        return self.process.wait(timeout=60)


@pytest.fixture
def demo_start(tmp_path) -> Iterator[type[Demo]]:
    """Start demos; whatever a failed test leaves running is stopped after it."""
    started: list[Demo] = []

    def start(*args: str, redis_url: str) -> Demo:
        demo = Demo(tmp_path, *args, redis_url=redis_url)
        started.append(demo)
        return demo

    yield start  # type: ignore[misc]
    for demo in started:
        if demo.process.poll() is None:
            demo.process.terminate()
            try:
                demo.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                demo.process.kill()
                demo.process.wait()


def redis_pid(port: int) -> int:
    return int(redis.Redis(port=port).info("server")["process_id"])


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def redis_cleanup(port: int) -> Iterator[None]:
    """Stop a Redis that a failing demo left running at port, so no test leaves one behind."""
    try:
        yield
    finally:
        with contextlib.suppress(redis.RedisError):
            redis.Redis(port=port, socket_timeout=2).shutdown(nosave=True)


def page_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own server
        return response.status


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_without_redis_the_demo_starts_one_on_loopback_and_stops_it(demo_start, stop_signal):
    redis_port, web_port = free_port(), free_port()
    with redis_cleanup(redis_port):
        demo = demo_start("--port", str(web_port), redis_url=f"redis://127.0.0.1:{redis_port}/0")
        demo.wait_for(rf"rtviz is live at http://127\.0\.0\.1:{web_port}/")

        started = redis.Redis(port=redis_port)
        assert started.config_get("bind") == {"bind": "127.0.0.1"}
        pid = redis_pid(redis_port)
        assert page_status(f"http://127.0.0.1:{web_port}/accounts/login/") == 200

        assert demo.stop(stop_signal) == 0
        assert not process_alive(pid)
        assert not listening(redis_port)
        assert not listening(web_port)


def test_with_the_redis_port_taken_by_something_else_the_demo_uses_another(demo_start):
    with socket.socket() as squatter:  # listens, never speaks Redis
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        demo = demo_start("--port", str(free_port()), redis_url=f"redis://127.0.0.1:{taken}/0")
        own_port = int(demo.wait_for(r"[Ss]tarted redis-server on 127\.0\.0\.1:(\d+)").group(1))
        with redis_cleanup(own_port):
            assert own_port != taken
            assert redis.Redis(port=own_port).config_get("bind") == {"bind": "127.0.0.1"}
            pid = redis_pid(own_port)
            # The generator broadcasts through the Redis the demo started.
            demo.wait_for(r"[1-9]\d* batch(es)? broadcast, 0 broadcast failures")

            assert demo.stop(signal.SIGINT) == 0
            assert not process_alive(pid)


def test_a_taken_port_is_one_clear_line_and_exit_1_before_anything_is_announced(demo_start):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]

        demo = demo_start("--port", str(taken), redis_url=os.environ["REDIS_URL"])
        code = demo.process.wait(timeout=STARTUP_SECONDS)

    assert demo.process.stderr is not None
    errors = demo.process.stderr.read().splitlines()
    time.sleep(0.5)  # let the reader thread take the last of stdout
    while not demo.lines.empty():
        demo.output.append(demo.lines.get())
    assert code == 1
    assert "rtviz is live" not in "".join(demo.output)
    assert errors == [
        f"CommandError: port {taken} on 127.0.0.1 is in use: "
        f"choose another with --port (make demo PORT=...)."
    ]


def test_the_port_option_is_explained_in_the_help():
    result = subprocess.run(
        [sys.executable, "manage.py", "demo", "--help"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    assert re.search(r"--port PORT\s+the port to serve the dashboard on", result.stdout)


def test_make_demo_passes_its_port_on():
    dry_run = subprocess.run(
        ["make", "--dry-run", "demo", "PORT=8123"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert dry_run.returncode == 0, dry_run.stderr
    assert "manage.py demo --port 8123" in dry_run.stdout
