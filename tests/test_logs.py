from __future__ import annotations

import http.client
import io
import json
import logging
import time
from urllib.parse import quote

import pytest

from harness.daphne import daphne_start
from rtviz.logs import (
    ContextFilter,
    JsonFormatter,
    PlainFormatter,
    logging_config,
    request_id_var,
    user_var,
)
from tests.conftest import process_env, server_stop


def test_a_json_line_carries_the_request_id_and_the_user():
    record = logging.LogRecord("dashboard", logging.WARNING, __file__, 1, "hello %s", ("x",), None)
    request_id_var.set("req-0123456789")
    user_var.set("tess")
    ContextFilter().filter(record)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert json.loads(line) | {"time": None} == {
        "time": None,
        "level": "WARNING",
        "logger": "dashboard",
        "message": "hello x",
        "request_id": "req-0123456789",
        "user": "tess",
    }


@pytest.mark.django_db
def test_a_request_log_line_names_the_user_and_no_session(client, team_user, caplog):
    client.force_login(team_user)
    session = client.cookies["sessionid"].value

    with caplog.at_level(logging.INFO, logger="rtviz.request"):
        client.get("/", headers={"X-Request-ID": "req-abcdef012345"})

    (line,) = [r for r in caplog.records if r.name == "rtviz.request"]
    assert (line.request_id, line.user) == ("req-abcdef012345", "tess")
    assert line.getMessage().startswith("GET / 200 ")
    assert session not in caplog.text


class Log(io.StringIO):
    """A daphne's log, written by its drain thread (in 64 KiB reads: all of it once the
    process has stopped), read by the test."""

    def lines_until(self, text: str, timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while text not in self.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.getvalue().splitlines()


@pytest.mark.django_db(transaction=True)
def test_a_path_cannot_forge_a_log_line():
    """The path arrives URL-decoded: a %0A in it started a line of the client's own in the
    plain log, e.g. one saying that someone else did something."""
    log = Log()
    server = daphne_start(env=process_env(), log=log)
    forged = "2026-01-01 00:00:00,000 WARNING rtviz.request [0000000000000000 ann] DELETE /x"
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        connection.request("GET", "/nowhere%0A" + quote(forged) + "%0D%0A")
        connection.getresponse().read()
        connection.close()
    finally:
        server_stop(server)
    lines = log.lines_until("nowhere")

    assert not [line for line in lines if line.startswith(forged[:20])]
    (line,) = [line for line in lines if " GET /nowhere" in line]
    assert "/nowhere\\n2026-01-01" in line


def test_the_plain_format_escapes_controls_and_keeps_every_script():
    record = logging.LogRecord(
        "rtviz", logging.INFO, __file__, 1, "%s", ("Ñandú ک\r\n\x1b[2J",), None
    )
    ContextFilter().filter(record)
    config = logging_config(log_format="plain", level="INFO")["formatters"]["rtviz"]
    assert config["class"] == "rtviz.logs.PlainFormatter"

    line = PlainFormatter(config["format"]).format(record)

    assert line.endswith("] Ñandú ک\\r\\n\\x1b[2J")
