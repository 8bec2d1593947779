from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Variables that would let the settings load: without them, production needs a SECRET_KEY.
UNCONFIGURED = {"DEBUG", "SECRET_KEY"}


@pytest.mark.parametrize(
    "command",
    [["check"], ["generate_spend", "--count", "1"], ["demo"], ["migrate"], ["help"]],
    ids=lambda command: command[0],
)
def test_without_a_secret_key_every_command_says_so_in_one_line_and_exits_1(command):
    env = {k: v for k, v in os.environ.items() if k not in UNCONFIGURED}

    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "rtviz: SECRET_KEY is not set. Set it in the environment "
        "(or DEBUG=1 for local development)."
    ]
