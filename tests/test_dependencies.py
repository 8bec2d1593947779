"""The Python dependency tree is pinned with hashes (requirements*.lock, made by `make lock`
from requirements*.txt) and the lock agrees with the pins people edit."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\[\],-]+)==([^\s;\\]+)", re.MULTILINE)


def pins(text: str) -> dict[str, str]:
    """{normalised name: version} of every `name==version` line."""
    return {
        re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name)).lower(): version
        for name, version in PIN.findall(text)
    }


def locked_packages(text: str) -> list[str]:
    """Each package's block: its pin line and the lines that continue it."""
    return re.split(r"\n(?=[A-Za-z0-9])", text[PIN.search(text).start() :])


@pytest.mark.parametrize(
    "inputs, lock",
    [
        (["requirements.txt"], "requirements.lock"),
        (["requirements.txt", "requirements-dev.txt"], "requirements-dev.lock"),
    ],
)
def test_the_lock_pins_every_package_with_hashes_as_the_inputs_say(inputs, lock):
    text = (ROOT / lock).read_text()
    wanted = {}
    for name in inputs:
        wanted |= pins((ROOT / name).read_text())

    locked = pins(text)
    assert {name: locked.get(name) for name in wanted} == wanted, "run `make lock`"
    for block in locked_packages(text):
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_setup_installs_the_lock_and_requires_its_hashes():
    makefile = (ROOT / "Makefile").read_text()

    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
