from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, records_make
from tests.test_admin import form_data

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


# The table's drill-down: one record's fields and its admin history.


def record_url(record_id: int) -> str:
    return reverse("dashboard:record_detail", args=[record_id])


def test_a_team_member_reads_one_record_without_an_edit_link(team_user, client):
    (record,) = records_make(1)
    client.force_login(team_user)

    detail = client.get(record_url(record.pk)).json()

    assert detail["id"] == record.pk
    assert detail["name"] == record.name
    assert detail["spent"] == str(record.spent)
    assert detail["pay_type"] == record.pay_type
    assert {"year", "quantity", "total", "tip", "created", "updated"} <= set(detail)
    assert detail["history"] == []
    assert "admin_url" not in detail


def test_staff_see_who_changed_a_record_and_an_edit_link(admin_user, client):
    (record,) = records_make(1)
    client.force_login(admin_user)
    change = reverse("admin:feeds_spendrecord_change", args=[record.pk])
    form = form_data(record, name="Renamed")
    assert client.post(change, form).status_code == 302

    detail = client.get(record_url(record.pk)).json()

    assert detail["name"] == "Renamed"
    assert detail["admin_url"] == change
    (entry,) = detail["history"]
    assert entry["user"] == admin_user.username
    assert entry["action"] == "changed"
    assert "Name" in entry["message"]


def test_a_record_is_refused_to_outsiders_and_missing_ones_are_404(outsider, team_user, client):
    (record,) = records_make(1)
    assert client.get(record_url(record.pk)).status_code == 302  # anonymous: log in first
    client.force_login(outsider)
    assert client.get(record_url(record.pk)).status_code == 403
    client.force_login(team_user)
    assert client.get(record_url(record.pk + 1000)).status_code == 404


@pytest.mark.django_db
def test_a_record_s_detail_is_kept_by_no_cache(team_user, client):
    """It is the team's data and names who edited the record, behind a login: like the page,
    no shared cache may keep it for the next visitor."""
    (record,) = records_make(1)
    client.force_login(team_user)

    response = client.get(record_url(record.pk))

    assert response.status_code == 200
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives
