from __future__ import annotations

import json
import logging

import pytest

from rtviz.logs import ContextFilter, JsonFormatter, request_id_var, user_var


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
