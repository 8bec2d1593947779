"""The production shape: three daphne processes behind nginx (deploy/cluster.py). One process
dies under an open page; the page reconnects through nginx to another and ends equal to the
database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page

from deploy.cluster import (
    Cluster,
    cluster_env,
    cluster_start,
    cluster_stop,
    free_ports,
    generator_start,
    http_ok,
    web_kill,
)
from tests.conftest import database_url
from tests.e2e.conftest import (
    assert_page_matches_database,
    forgive_reconnect_noise,
    live,
    open_dashboard,
    records_make,
)

ESTABLISHED = "01"
COUNT_ABOVE = "(count) => window.rtvizTotals().count > count"  # a function: the CSP forbids eval


@pytest.fixture
def cluster(transactional_db, static_root, tmp_path) -> Iterator[Cluster]:
    env = cluster_env(
        scratch=tmp_path,
        database_url=database_url(),
        redis_env={"REDIS_URL": os.environ.get("REDIS_URL", settings.REDIS_URL)},
    )
    # The test's secret key, so the session cookie it makes is valid on the cluster.
    env |= {"SECRET_KEY": settings.SECRET_KEY, "STATIC_ROOT": static_root}
    env["DASHBOARD_TEST_HOOKS"] = "1"
    web_ports = free_ports(3)
    started = cluster_start(scratch=tmp_path, env=env, port=free_ports(1)[0], web_ports=web_ports)
    yield started
    cluster_stop(started)


@pytest.fixture
def cluster_page(browser, cluster, console_errors) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()
    forgive_reconnect_noise(console_errors)
    assert console_errors == []


def established_ports(ports: list[int]) -> set[int]:
    """Which of these local ports have an established TCP connection (from nginx): a daphne
    process holding a websocket has one, the others none (nginx keeps no idle upstream
    connections)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, _remote, state = line.split()[1:4]
            port = int(local.rsplit(":", 1)[1], 16)
            if state == ESTABLISHED and port in ports:
                found.add(port)
    return found


def socket_holder(page: Page, cluster: Cluster) -> int:
    """The port of the daphne process that holds the page's websocket."""
    for _ in range(200):
        holders = established_ports(list(cluster.webs))
        if len(holders) == 1:
            return holders.pop()
        page.wait_for_timeout(50)
    raise AssertionError(f"no single process holds the page's socket: {holders}")


def page_count(page: Page) -> int:
    return page.evaluate("window.rtvizTotals().count")


def test_a_killed_process_s_page_reconnects_through_nginx_and_matches_the_database(
    cluster, cluster_page, team_user
):
    records_make(20)
    generator = generator_start(cluster, rate="20", batch="2")
    open_dashboard(cluster_page, cluster, team_user)
    cluster_page.wait_for_function(COUNT_ABOVE, arg=40, timeout=30_000)
    holder = socket_holder(cluster_page, cluster)

    web_kill(cluster, holder)
    seen = page_count(cluster_page)
    # Live again, on another process, with the generator's records still arriving.
    cluster_page.wait_for_function(COUNT_ABOVE, arg=seen + 40, timeout=60_000)
    live(cluster_page)
    assert socket_holder(cluster_page, cluster) != holder
    generator.terminate()
    generator.wait(timeout=15)
    cluster.others.remove(generator)

    assert_page_matches_database(cluster_page, timeout_ms=30_000)


def test_nginx_serves_static_files_and_proxies_health_and_metrics(cluster):
    token = cluster.env["METRICS_TOKEN"]

    assert http_ok(f"{cluster.url}/healthz")
    assert http_ok(f"{cluster.url}/readyz")
    assert not http_ok(f"{cluster.url}/metrics")
    assert http_ok(f"{cluster.url}/metrics", headers={"Authorization": f"Bearer {token}"})
    assert http_ok(f"{cluster.url}/static/dashboard/js/main.js")
