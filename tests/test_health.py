from __future__ import annotations

import http.client
import random

import pytest
from prometheus_client.parser import text_string_to_metric_families

from feeds.generator import spend_records_generate
from feeds.services import records_create
from tests.real_sockets import start

TOKEN = "metrics-test-token"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_healthz_answers_without_a_login_or_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_and_redis_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"ready": True}


@pytest.mark.django_db
def test_readyz_says_redis_when_redis_does_not_answer(client, settings):
    settings.REDIS_HOST = {"address": "redis://127.0.0.1:1/0"}  # nothing listens on port 1

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"ready": False, "failed": ["redis: ConnectionError"]}


def test_metrics_are_off_without_a_token_set(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, settings):
    settings.METRICS_TOKEN = TOKEN

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


@pytest.mark.django_db
def test_metrics_count_requests_and_the_database_position(client, settings):
    settings.METRICS_TOKEN = TOKEN
    records_create(records=spend_records_generate(rng=random.Random(1), count=3))
    client.get("/healthz")

    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    values = samples(response.content.decode())
    healthz = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    assert values[("rtviz_http_request_seconds_count", healthz)] >= 1
    assert values[("rtviz_database_position", ())] == 3


@pytest.mark.django_db(transaction=True)
def test_a_failed_broadcast_is_counted_in_the_metrics(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens on port 1
        }
    }
    failed = ("rtviz_broadcasts_total", (("outcome", "failed"),))
    before = samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
                     .content.decode()).get(failed, 0)  # fmt: skip

    records_create(records=spend_records_generate(rng=random.Random(2), count=2))

    after = samples(
        client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    )
    assert after[failed] == before + 1


def test_a_response_carries_its_request_id_from_the_proxy_or_a_new_one(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abcdef0123456789"})["X-Request-ID"] == (
        "abcdef0123456789"
    )
    forged = client.get("/healthz", headers={"X-Request-ID": "x\nfake log line"})
    assert forged["X-Request-ID"] != "x\nfake log line"
    assert len(forged["X-Request-ID"]) == 32


def http_status(server, method: str, path: str, **headers: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        connection.request(method, path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_made_up_methods_add_no_series_to_the_metrics(hooked):
    """A client chooses the method: each new one was a new labelled histogram, kept for the
    process's life (and in every scrape), so a loop of made-up methods grew memory for ever."""
    server = start(hooked, METRICS_TOKEN=TOKEN)
    for number in range(20):
        http_status(server, f"MADEUP{number}", "/healthz")

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    text = connection.getresponse().read().decode()
    connection.close()

    methods = {
        dict(labels)["method"]
        for name, labels in samples(text)
        if name == "rtviz_http_request_seconds_count"
    }
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert "other" in methods
