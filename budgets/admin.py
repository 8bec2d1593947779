from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from budgets.models import AlertEvent, Budget
from budgets.services import alerts_delete, budget_delete, budget_update


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ("name", "amount", "period", "person", "pay_type", "example")
    list_filter = ("period", "pay_type", "example")
    search_fields = ("name", "person")
    readonly_fields = ("created", "updated")

    # Writes go through budgets.services: they decide alerts and tell open dashboards.
    def save_model(self, request: HttpRequest, obj: Budget, form: Any, change: bool) -> None:
        budget_update(budget=obj)

    def delete_model(self, request: HttpRequest, obj: Budget) -> None:
        budget_delete(budget=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Budget]) -> None:
        for budget in queryset:
            budget_delete(budget=budget)


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):
    """The alert history: read-only, as raised."""

    list_display = ("raised", "budget", "threshold", "period_start", "value", "amount", "emailed")
    list_filter = ("budget", "period_start", "threshold")
    date_hierarchy = "raised"
    list_select_related = ("budget",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Through budgets.services: the processes that decide alerts forget them too.
    def delete_model(self, request: HttpRequest, obj: AlertEvent) -> None:
        alerts_delete(alerts=[obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AlertEvent]) -> None:
        alerts_delete(alerts=list(queryset))
