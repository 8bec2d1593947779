from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command


def test_the_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="run it with DEBUG=1"):
        call_command("demo")


def test_an_unreachable_redis_is_a_plain_message_with_the_way_out(settings):
    settings.DEBUG = True
    settings.REDIS_URL = "redis://redis.invalid:6379/0"  # a name that resolves nowhere

    with pytest.raises(CommandError) as refused:
        call_command("demo")

    assert "Redis is not reachable at redis://redis.invalid:6379/0" in str(refused.value)
    assert "apt-get install redis-server" in str(refused.value)
