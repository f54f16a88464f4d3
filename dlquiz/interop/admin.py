"""Anki imports in the admin: read-only (the worker writes them), to see what a learner's import did."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from dlquiz.interop.models import AnkiImport


@admin.register(AnkiImport)
class AnkiImportAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "file_name",
        "deck_name",
        "status",
        "progress",
        "cards_created",
        "reviews_imported",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("user__username", "file_name", "deck_name")
    exclude = ("package",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
