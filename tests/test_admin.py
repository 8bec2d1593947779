from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db.models import Sum
from django.urls import reverse

from feeds.models import ChangeSequence, SpendCell, SpendDeletion, SpendRecord
from feeds.units import cents
from tests.conftest import records_make

CHANGELIST = reverse("admin:feeds_spendrecord_changelist")


def change_url(record: SpendRecord) -> str:
    return reverse("admin:feeds_spendrecord_change", args=[record.pk])


def form_data(record: SpendRecord, **changes: object) -> dict[str, object]:
    data = {
        "name": record.name,
        "spent": record.spent,
        "year": record.year,
        "pay_type": record.pay_type,
        "quantity": record.quantity,
        "total": record.total,
        "tip": record.tip,
        "created_0": record.created.strftime("%Y-%m-%d"),
        "created_1": record.created.strftime("%H:%M:%S"),
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_the_list_shows_records_with_their_columns_and_filters(admin_client):
    records_make(3)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    for column in ("Name", "Spent", "Year", "Pay type", "Quantity", "Total", "Tip", "Created"):
        assert f">{column}<" in content
    assert "By pay type" in content and "By year" in content and "By name" in content
    assert len(response.context["cl"].result_list) == 3


@pytest.mark.django_db
def test_search_by_name_and_filter_by_year(admin_client):
    ben, aziz = records_make(2)
    SpendRecord.objects.filter(pk=ben.pk).update(name="Ben", year=2013)
    SpendRecord.objects.filter(pk=aziz.pk).update(name="Aziz", year=2015)

    searched = admin_client.get(CHANGELIST, {"q": "azi"})
    filtered = admin_client.get(CHANGELIST, {"year": "2013"})

    assert [r.pk for r in searched.context["cl"].result_list] == [aziz.pk]
    assert [r.pk for r in filtered.context["cl"].result_list] == [ben.pk]


@pytest.mark.django_db
def test_an_edit_is_saved_and_recorded_in_the_history(admin_client):
    (record,) = records_make(1)

    response = admin_client.post(change_url(record), form_data(record, spent="77.70"))

    assert response.status_code == 302
    record.refresh_from_db()
    assert str(record.spent) == "77.70"
    assert LogEntry.objects.filter(object_id=str(record.pk), action_flag=CHANGE).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("spent", "-5", "Ensure this value is greater than or equal to 0"),
        ("year", "1800", "Ensure this value is greater than or equal to 2000"),
        ("quantity", "0", "Ensure this value is greater than or equal to 1"),
        ("pay_type", "cheque", "Select a valid choice"),
        ("quantity", "40000", "Ensure this value is less than or equal to 1000"),
        ("quantity", str(2**63 - 1), "Ensure this value is less than or equal to 1000"),
        ("spent", "1e5", "Ensure this value is less than or equal to 10000"),
        ("total", "10000.01", "Ensure this value is less than or equal to 10000"),
        ("tip", "1000.01", "Ensure this value is less than or equal to 1000"),
        ("year", "2101", "Ensure this value is less than or equal to 2100"),
        ("created_0", "1969-12-31", "Ensure this value is greater than or equal to 2000-01-01"),
        ("created_0", "0001-01-01", "Ensure this value is greater than or equal to 2000-01-01"),
        ("created_0", "9999-12-31", "at most a day ahead"),
        ("name", "Ann\u202egnp.exe", "control"),
    ],
)
def test_an_invalid_edit_is_refused_with_a_message(admin_client, field, value, message):
    (record,) = records_make(1)
    before = SpendRecord.objects.values().get(pk=record.pk)

    response = admin_client.post(change_url(record), form_data(record, **{field: value}))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert SpendRecord.objects.values().get(pk=record.pk) == before


@pytest.mark.django_db
def test_bulk_delete_action_removes_the_selected_records(admin_client):
    first, second, kept = records_make(3)

    response = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(SpendRecord.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.django_db
def test_the_admin_is_branded_rtviz_with_a_link_back_to_the_dashboard(admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()

    assert "Django administration" not in content
    assert "<title>Site administration | rtviz admin</title>" in content
    assert re.search(r'<a href="/"[^>]*>\s*Dashboard\s*</a>', content)
    assert 'rel="icon"' in content


def test_an_added_record_goes_through_the_services_with_a_position_and_cells(admin_client):
    (template,) = records_make(1)
    sequence_before = ChangeSequence.objects.get().position

    response = admin_client.post(
        reverse("admin:feeds_spendrecord_add"), form_data(template, name="Added", spent="12.34")
    )

    assert response.status_code == 302
    added = SpendRecord.objects.get(name="Added")
    assert added.seq == sequence_before + 1 == ChangeSequence.objects.get().position
    assert SpendCell.objects.filter(name="Added", spent=1234, records=1).exists()
    assert LogEntry.objects.filter(object_id=str(added.pk), action_flag=ADDITION).exists()


@pytest.mark.django_db
def test_deleting_one_record_leaves_a_tombstone_and_takes_it_from_the_cells(admin_client):
    doomed, kept = records_make(2)
    delete_url = reverse("admin:feeds_spendrecord_delete", args=[doomed.pk])

    response = admin_client.post(delete_url, {"post": "yes"})

    assert response.status_code == 302
    assert list(SpendRecord.objects.values_list("pk", flat=True)) == [kept.pk]
    tombstone = SpendDeletion.objects.get()
    assert (tombstone.record_id, tombstone.seq) == (
        doomed.pk,
        ChangeSequence.objects.get().position,
    )
    sizes = SpendCell.objects.values("size").annotate(records=Sum("records"), spent=Sum("spent"))
    assert sizes and all(
        (size["records"], size["spent"]) == (1, cents(kept.spent)) for size in sizes
    )
