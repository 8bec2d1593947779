"""The admin as a staff member sees it, in Chromium."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import Page

from tests.conftest import session_cookie
from tests.e2e.conftest import in_thread, records_make


@pytest.fixture
def staff_page(anonymous_page, server) -> Page:
    def staff_make() -> User:
        user = User.objects.create_user("stella", password="unused-password-1", is_staff=True)
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="feeds", codename__endswith="record")
        )
        return user

    name, value = session_cookie(in_thread(staff_make)).split("=", 1)
    anonymous_page.context.add_cookies([{"name": name, "value": value, "url": server.url}])
    return anonymous_page


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_record_list_fits_the_window_created_column_included(staff_page, server, width):
    records_make(3)
    staff_page.set_viewport_size({"width": width, "height": 900})

    staff_page.goto(f"{server.url}/admin/feeds/spendrecord/")

    fit = staff_page.evaluate(
        """() => {
            const results = document.querySelector('.results');
            const created = document.querySelector('#result_list td.field-created');
            return {
                scroll: results.scrollWidth, visible: results.clientWidth,
                createdRight: created.getBoundingClientRect().right,
                resultsRight: results.getBoundingClientRect().right,
            };
        }"""
    )
    assert fit["scroll"] <= fit["visible"], fit
    assert fit["createdRight"] <= fit["resultsRight"], fit


def test_the_favicon_is_there_for_the_pages_that_do_not_link_one(staff_page, server):
    response = staff_page.request.get(f"{server.url}/favicon.ico")

    assert response.status == 200
    assert response.headers["content-type"] == "image/x-icon"
