"""A redis-server of one's own on a free port, to stop and start without disturbing others."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_start(port: int = 0) -> tuple[subprocess.Popen[str], str]:
    """A redis-server (port 0: any free one) and its URL, once it accepts connections."""
    port = port or free_port()
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port), "--save", ""]
    command += ["--appendonly", "no", "--bind", "127.0.0.1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if re.search("Ready to accept connections", line):
            return process, f"redis://127.0.0.1:{port}/0"
    raise RuntimeError(f"redis-server exited with {process.wait()} before it was ready")
