"""Staff edit budgets in the admin, through budgets.services; the alert history is read-only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.models import AlertEvent, Budget, Threshold
from feeds.services import records_create
from tests.test_budgets_services import record

pytestmark = pytest.mark.django_db


def budget_form(**changes: object) -> dict[str, object]:
    data = {
        "name": "Ben's year",
        "amount": "100.00",
        "period": "year",
        "person": "Ben",
        "pay_type": "",
        "created_0": "2026-01-01",
        "created_1": "00:00:00",
    }
    return {**data, **changes}


def test_a_budget_added_in_the_admin_decides_its_alerts_at_once(admin_client):
    records_create(records=[record("Ben", "120.00"), record("Aziz", "500.00")])
    response = admin_client.post(reverse("admin:budgets_budget_add"), budget_form())
    assert response.status_code == 302
    budget = Budget.objects.get()
    thresholds = set(AlertEvent.objects.filter(budget=budget).values_list("threshold", flat=True))
    assert {Threshold.ACTUAL_80, Threshold.ACTUAL_100} <= thresholds


def test_a_bad_budget_is_a_form_error_not_a_crash(admin_client):
    response = admin_client.post(
        reverse("admin:budgets_budget_add"), budget_form(amount="0.00", pay_type="cheque")
    )
    assert response.status_code == 200
    assert not Budget.objects.exists()
    assert response.context["adminform"].form.errors.keys() == {"amount", "pay_type"}


def test_the_alert_history_lists_and_filters_alerts_and_cannot_be_edited(admin_client):
    records_create(records=[record("Ben", "120.00")])
    admin_client.post(reverse("admin:budgets_budget_add"), budget_form())
    budget = Budget.objects.get()
    alert = AlertEvent.objects.get(budget=budget, threshold=Threshold.ACTUAL_100)
    changelist = reverse("admin:budgets_alertevent_changelist")

    response = admin_client.get(changelist, {"budget__id__exact": budget.pk})

    assert response.status_code == 200
    assert "Ben&#x27;s year" in response.content.decode()
    admin_client.raise_request_exception = False
    assert admin_client.get(reverse("admin:budgets_alertevent_add")).status_code == 403
    change = admin_client.post(
        reverse("admin:budgets_alertevent_change", args=[alert.pk]), {"value": "1.00"}
    )
    assert change.status_code == 403
    assert AlertEvent.objects.get(pk=alert.pk).value == Decimal("120.00")


def test_a_budget_name_or_person_with_a_line_break_or_direction_override_is_refused(admin_client):
    """A line break in the name broke every alert email's subject (BadHeaderError, retried for
    ever); a direction override makes the panel show another name than the one stored."""
    response = admin_client.post(
        reverse("admin:budgets_budget_add"),
        budget_form(name="Ben's year\nBcc: someone@example.com", person="Ben\u202e"),
    )
    assert response.status_code == 200
    assert not Budget.objects.exists()
    assert response.context["adminform"].form.errors.keys() == {"name", "person"}
