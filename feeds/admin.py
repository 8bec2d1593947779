from __future__ import annotations

import io
from typing import Any, TextIO

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from feeds.imports import (
    ImportFailed,
    ImportOptions,
    ImportReport,
    csv_import,
    csv_import_all_or_nothing,
    mapping_parse,
    source_check,
)
from feeds.models import SOURCE_ADMIN, ApiToken, SpendRecord
from feeds.services import record_update, records_create, records_delete
from feeds.tokens import key_new, token_key_set, token_revoke
from feeds.units import RECORD_FIELDS


class CsvImportForm(forms.Form):
    file = forms.FileField(help_text="A header line, then one record a line (UTF-8).")
    source = forms.CharField(
        required=False, max_length=64, help_text="Default: import:FILENAME. Keep it to re-run."
    )
    map = forms.CharField(required=False, help_text='Other column names: "Amount=spent,Who=name"')
    dry_run = forms.BooleanField(required=False, help_text="Check every row, write none.")
    all_or_nothing = forms.BooleanField(required=False, help_text="Write nothing if a row is bad.")
    dedupe_by_content = forms.BooleanField(
        required=False, help_text="Rows without an external_id get a hash of their values."
    )


def csv_upload_import(form: CsvImportForm) -> tuple[ImportReport | None, str]:
    upload = form.cleaned_data["file"]
    opened: list[TextIO] = []  # kept: a wrapper that is collected closes the upload under it

    def reopen() -> TextIO:
        upload.seek(0)
        opened.append(io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline=""))
        return opened[-1]

    try:
        options = ImportOptions(
            source=source_check(form.cleaned_data["source"] or f"import:{upload.name}"),
            mapping=mapping_parse(form.cleaned_data["map"]),
            dry_run=form.cleaned_data["dry_run"],
            dedupe_by_content=form.cleaned_data["dedupe_by_content"],
        )
        if form.cleaned_data["all_or_nothing"]:
            return csv_import_all_or_nothing(open_stream=reopen, options=options), ""
        return csv_import(stream=reopen(), options=options), ""
    except ImportFailed as error:
        return error.report, str(error)


@admin.register(SpendRecord)
class SpendRecordAdmin(admin.ModelAdmin):
    # Every field but `updated` (the list's width), and where the record came from.
    list_display = (*(field for field in RECORD_FIELDS if field != "updated"), "source")
    list_filter = ("source", "year", "pay_type", "name")
    search_fields = ("name",)
    date_hierarchy = "created"
    ordering = ("-created", "-id")
    list_per_page = 50
    show_full_result_count = False  # an exact COUNT(*) per page view is slow on a big table
    readonly_fields = ("updated", "source", "external_id")

    change_list_template = "admin/feeds/spendrecord/change_list.html"  # + "Import CSV"

    def get_urls(self) -> list[Any]:
        upload = self.admin_site.admin_view(self.import_view)
        return [path("import/", upload, name="feeds_spendrecord_import"), *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV: the same import as the import_spend command, its report shown here."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CsvImportForm(request.POST or None, request.FILES or None)
        report, failure = None, ""
        if request.method == "POST" and form.is_valid():
            report, failure = csv_upload_import(form)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import spend records from CSV",
            "form": form,
            "report": report,
            "failure": failure,
        }
        return TemplateResponse(request, "admin/feeds/spendrecord/import.html", context)

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


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.RECORDS_WRITE],
    )

    class Meta:
        model = ApiToken
        fields = ("name", "scopes", "expires")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ("name", "prefix", "scopes", "created", "expires", "last_used", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name",)
    readonly_fields = ("prefix", "created", "last_used", "revoked")
    actions = ("revoke",)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        # A token's name is its records' source: renaming it would orphan them.
        return (*self.readonly_fields, "name") if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            obj.save()
            return
        key = key_new()
        token_key_set(token=obj, key=key)
        obj.save()
        # Shown this once: only its hash is kept.
        messages.warning(
            request,
            f"The key of {obj.name}, shown only now — copy it: {key}",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            token_revoke(token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
