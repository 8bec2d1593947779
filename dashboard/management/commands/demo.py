"""Bring the live demo up: database, a demo team user, Redis if none answers, the generator
and the server. Ctrl-C (or SIGTERM) stops everything it started."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any, cast
from urllib.parse import urlsplit

import redis
from channels.layers import channel_layers
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from budgets.examples import budget_examples_create
from dashboard.services import team_user_ensure

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "rtviz-demo"  # noqa: S105 - a known demo login, refused unless DEBUG is on
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
HOST = "127.0.0.1"  # the demo listens on loopback only, and so does the Redis it starts
STARTUP_SECONDS = 120  # a busy machine runs the checks and migrations slowly
PR_SET_PDEATHSIG = 1


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=8000,
            help=f"the port to serve the dashboard on, at {HOST} (default 8000)",
        )
        parser.add_argument("--rate", default="1", help="generated records per second")

    def handle(self, *args: Any, port: int, rate: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "The demo creates a user with a known password: run it with DEBUG=1."
            )
        # Before anything starts: a taken port is one line and exit 1, never an announcement.
        if not port_free(port):
            raise CommandError(
                f"port {port} on {HOST} is in use: choose another with --port (make demo PORT=...)."
            )
        # SIGINT too: a shell's background job starts with it ignored, and `kill -INT` must
        # stop the demo all the same.
        previous = {
            number: signal.signal(number, stop_requested)
            for number in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            with contextlib.ExitStack() as started:
                self.run(started, port=port, rate=rate)
        except KeyboardInterrupt:
            pass  # everything it started is stopped by now, in reverse order
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        self.stdout.write("rtviz demo stopped.")

    def run(self, started: contextlib.ExitStack, *, port: int, rate: str) -> None:
        redis_url = self.redis_ensure(started)
        channel_layer_point(redis_url)
        call_command("migrate", verbosity=0)
        self.demo_user_ensure()
        examples = budget_examples_create()
        self.stdout.write(f"{len(examples)} example budgets made (admin: Budgets).")
        env = {"REDIS_URL": redis_url}
        manage = [sys.executable, "manage.py"]
        generator = started.enter_context(child([*manage, "generate_spend", "--rate", rate], env))
        server = started.enter_context(
            child([*manage, "runserver", "--noreload", f"{HOST}:{port}"], env)
        )
        processes = {"server": server, "generator": generator}
        if not wait_until(lambda: listening(port) or stopped(processes)):
            raise CommandError(f"The server did not listen on {HOST}:{port} in time.")
        stopped_check(processes)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nrtviz is live at http://{HOST}:{port}/ "
                f"- log in as {DEMO_USERNAME} / {DEMO_PASSWORD} (admin: /admin/). Ctrl-C stops.\n"
            )
        )
        while True:
            stopped_check(processes)
            time.sleep(0.5)

    def redis_ensure(self, started: contextlib.ExitStack) -> str:
        """The Redis URL to use: REDIS_URL if it answers, else a redis-server started here."""
        url = settings.REDIS_URL
        if redis_ping(url):
            return url
        parts = urlsplit(url)
        server = shutil.which("redis-server")
        if parts.hostname not in LOCAL_HOSTS or server is None:
            raise CommandError(
                f"Redis is not reachable at {url}. Start it (Debian: apt-get install redis-server;"
                " `make demo` does) or point REDIS_URL at a running one."
            )
        port = parts.port or 6379
        taken = "" if port_free(port) else f" (port {port} is taken by something else)"
        if taken:
            port = free_port()
        url = f"redis://{HOST}:{port}{parts.path}"
        process = started.enter_context(
            child(
                redis_server_command(server, port),
                output=subprocess.DEVNULL,
            )
        )
        if not wait_until(lambda: redis_ping(url) or process.poll() is not None):
            raise CommandError(f"Started redis-server, but {url} does not answer.")
        if process.poll() is not None:
            raise CommandError(f"redis-server stopped at once (exit code {process.returncode}).")
        self.stdout.write(
            f"Redis did not answer at {settings.REDIS_URL}; started redis-server on "
            f"{HOST}:{port}{taken}. It stops with the demo."
        )
        return url

    def demo_user_ensure(self) -> None:
        user = team_user_ensure(username=DEMO_USERNAME, password=DEMO_PASSWORD, staff=True)
        user.email = "demo@example.com"  # alert emails: printed on the console under DEBUG
        user.save(update_fields=["email"])
        # Staff, so the demo can show the admin: it may view and edit spend records there.
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="feeds", codename__endswith="spendrecord"
            ),
            # ... and budgets, and the alert history.
            *Permission.objects.filter(content_type__app_label="budgets"),
        )


def channel_layer_point(redis_url: str) -> None:
    """This process's channel layer at the Redis the demo uses: saving the demo user sends a
    group message (dashboard.signals), which must not wait on a REDIS_URL that never answers."""
    if redis_url == settings.REDIS_URL:
        return
    config = cast(dict[str, Any], settings.CHANNEL_LAYERS["default"]["CONFIG"])
    config["hosts"] = [{**config["hosts"][0], "address": redis_url}]
    channel_layers.backends.clear()


def redis_server_command(server: str, port: int) -> list[str]:
    # Loopback only, in the foreground (so it is ours to stop), nothing written to disk.
    options = "--daemonize no --save '' --appendonly no --loglevel warning"
    return [server, "--bind", HOST, "--port", str(port), *shlex.split(options)]


def stopped(processes: dict[str, subprocess.Popen[bytes]]) -> bool:
    return any(process.poll() is not None for process in processes.values())


def stopped_check(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, process in processes.items():
        if process.poll() is not None:
            raise CommandError(f"The {name} stopped (exit code {process.returncode}).")


def stop_requested(signal_number: int, frame: FrameType | None) -> None:
    # SIGTERM stops the demo as Ctrl-C does, so that what it started is stopped too.
    raise KeyboardInterrupt


@contextlib.contextmanager
def child(
    command: list[str], env: dict[str, str] | None = None, output: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A process that lives as long as the demo: stopped (SIGINT, then SIGKILL) on the way out.

    It runs in a session of its own, so a Ctrl-C reaches only the demo, which then stops its
    processes in order (server, generator, Redis); and the kernel ends it if the demo dies.
    """
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env={**os.environ, **(env or {})},
        stdout=output,
        start_new_session=True,
        preexec_fn=child_prepare,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # the generator prints its totals
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def child_prepare() -> None:
    """Between fork and exec: SIGINT back to its default (stop), since the demo stops its
    processes with it; and on Linux, SIGTERM to the child when the demo dies, even by SIGKILL."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def wait_until(condition: Any, seconds: float = STARTUP_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        # As the server's own socket does: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
        return True
    return False


def redis_ping(url: str) -> bool:
    # A read timeout too: something else on the port may accept and never answer.
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()
