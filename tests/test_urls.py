from __future__ import annotations

from django.contrib.staticfiles import finders

from rtviz.urls import FAVICON


def test_favicon_ico_is_served_from_the_static_files(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == f"/static/{FAVICON}"
    icon = finders.find(FAVICON)
    assert icon is not None
    with open(icon, "rb") as file:
        assert file.read(4) == b"\x00\x00\x01\x00"  # an ICO file's header
