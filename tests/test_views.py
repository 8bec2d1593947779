from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

DASHBOARD = reverse("dashboard:index")


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={DASHBOARD}"
    assert "Log in to rtviz" in client.get(response["Location"]).content.decode()


def test_a_team_member_logs_in_and_sees_the_dashboard(team_user):
    client = Client()
    response = client.post(
        reverse("login"), {"username": team_user.username, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == DASHBOARD
    assert response.status_code == 200
    assert 'data-socket-path="/ws/dashboard/"' in response.content.decode()


def test_a_logged_in_user_outside_the_team_is_forbidden(outsider, client):
    client.force_login(outsider)

    assert client.get(DASHBOARD).status_code == 403


def test_a_wrong_password_is_refused_with_a_message(team_user, client):
    response = client.post(reverse("login"), {"username": team_user.username, "password": "nope"})

    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_logout_ends_the_session(team_user, client):
    client.force_login(team_user)

    client.post(reverse("logout"))

    assert client.get(DASHBOARD).status_code == 302


@pytest.mark.django_db
def test_the_team_group_from_the_data_migration_grants_the_dashboard():
    from django.contrib.auth.models import Group

    team = Group.objects.get(name="Team")

    assert list(team.permissions.values_list("codename", flat=True)) == ["view_spendrecord"]
