"""A daphne process serving rtviz (or another ASGI app) on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = "rtviz.asgi:application"
LISTENING = re.compile(r"Listening on TCP address [\d.]+:(\d+)")
# The largest websocket frame a client may send, in bytes. Autobahn checks a frame's declared
# length before reading its payload and only on frames it receives, so this refuses a big
# client frame without bounding what the server sends (SECURITY.md). The daphne command line
# does not read Django settings: DAPHNE_WEBSOCKET_MAX_FRAME_SIZE binds runserver only.
CLIENT_FRAME_BYTES = 4096


@dataclass
class Daphne:
    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/dashboard/"


def daphne_command(*, port: int = 0, app: str = APPLICATION) -> list[str]:
    return [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "--websocket-max-frame-size",
        str(CLIENT_FRAME_BYTES),
        app,
    ]


def daphne_start(
    *,
    env: dict[str, str],
    log: TextIO,
    port: int = 0,
    app: str = APPLICATION,
    stdout: int | None = None,
) -> Daphne:
    """Start daphne (port 0: any free one) and wait until it listens; its log goes to `log`,
    drained by a thread so that a full pipe never blocks the server."""
    process = subprocess.Popen(
        daphne_command(port=port, app=app),
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        log.write(line)
        if match := LISTENING.search(line):
            threading.Thread(
                target=shutil.copyfileobj, args=(process.stderr, log), daemon=True
            ).start()
            return Daphne(process, int(match.group(1)))
    raise RuntimeError(f"daphne exited with {process.wait()} before listening")


def process_stop(process: subprocess.Popen[str], *, timeout: float = 10) -> None:
    """Ctrl-C (daphne and generate_spend stop cleanly on it), then a kill past `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
