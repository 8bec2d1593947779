from __future__ import annotations

import pytest

from rtviz.redis_hosts import channel_layer_host


def test_one_redis_is_an_address():
    host = channel_layer_host(redis_url="redis://127.0.0.1:6379/3")

    assert host["address"] == "redis://127.0.0.1:6379/3"


def test_sentinels_become_channels_redis_sentinel_host():
    host = channel_layer_host(
        redis_url="redis://:s3cret@ignored:6379/4",
        sentinels="10.0.0.1:26379, sentinel-b:26380,[::1]:26381",
        master_name="rtviz",
    )

    assert host["master_name"] == "rtviz"
    assert host["sentinels"] == [("10.0.0.1", 26379), ("sentinel-b", 26380), ("::1", 26381)]
    assert host["db"] == 4
    assert host["password"] == "s3cret"
    assert "address" not in host


@pytest.mark.parametrize(
    ("sentinels", "master_name", "message"),
    [
        ("127.0.0.1:26379", "", "REDIS_MASTER_NAME is not"),
        ("127.0.0.1", "rtviz", "not host:port"),
        ("127.0.0.1:port", "rtviz", "not host:port"),
    ],
)
def test_a_bad_sentinel_setting_is_one_clear_error(sentinels, master_name, message):
    with pytest.raises(ValueError, match=message):
        channel_layer_host(redis_url="redis://x/0", sentinels=sentinels, master_name=master_name)
