"""API tokens: made in the admin or by api_token, the key shown once, only its hash kept."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from feeds.models import ApiToken
from feeds.tokens import token_active


@pytest.mark.django_db
def test_api_token_prints_a_key_of_which_only_the_hash_is_kept(capsys):
    call_command("api_token", "pos", "--scopes", "records:write,records:read")
    key = capsys.readouterr().out.strip()

    token = token_active(key=key)
    assert token is not None and token.scopes == ["records:write", "records:read"]
    assert key not in str(ApiToken.objects.values_list().get())
    with pytest.raises(CommandError, match="exists"):
        call_command("api_token", "pos")


@pytest.mark.django_db
def test_the_admin_shows_a_new_key_once_and_revokes_it(admin_client):
    added = admin_client.post(
        reverse("admin:feeds_apitoken_add"),
        {"name": "till", "scopes": ["records:write"], "expires_0": "", "expires_1": ""},
        follow=True,
    )
    key = re.search(r"rtviz_[\w-]+", added.content.decode()).group(0)
    token = ApiToken.objects.get(name="till")
    assert token_active(key=key) == token
    listing = admin_client.get(reverse("admin:feeds_apitoken_changelist")).content.decode()
    assert key not in listing

    admin_client.post(
        reverse("admin:feeds_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    assert token_active(key=key) is None
