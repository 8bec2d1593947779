from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from feeds.models import SOURCE_ADMIN, SpendRecord
from feeds.services import record_update, records_create, records_delete


@admin.register(SpendRecord)
class SpendRecordAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "name",
        "spent",
        "year",
        "pay_type",
        "quantity",
        "total",
        "tip",
        "created",
        "source",
    )
    list_filter = ("source", "year", "pay_type", "name")
    search_fields = ("name",)
    date_hierarchy = "created"
    ordering = ("-created", "-id")
    list_per_page = 50
    show_full_result_count = False  # an exact COUNT(*) per page view is slow on a big table
    readonly_fields = ("updated", "source", "external_id")

    # Writes go through feeds.services, the one path every record change takes.
    def save_model(self, request: HttpRequest, obj: SpendRecord, form: Any, change: bool) -> None:
        if change:
            record_update(record=obj)
        else:
            records_create(records=[obj], source=SOURCE_ADMIN)

    def delete_model(self, request: HttpRequest, obj: SpendRecord) -> None:
        records_delete(queryset=SpendRecord.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SpendRecord]) -> None:
        records_delete(queryset=queryset)
