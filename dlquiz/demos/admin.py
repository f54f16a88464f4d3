"""Admin for demonstration runs: looking at them (status, errors, timings). Runs are written by the
services and the worker only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from dlquiz.demos.models import DemoRequest, DemoRun


class DemoRequestInline(admin.TabularInline):
    model = DemoRequest
    extra = 0
    raw_id_fields = ("user",)
    readonly_fields = ("user", "requested_at", "cancelled", "prediction", "predicted_at")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DemoRun)
class DemoRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "demo",
        "version",
        "seed",
        "status",
        "progress",
        "started_count",
        "compute_seconds",
        "created_at",
    )
    list_filter = ("status", "demo")
    search_fields = ("demo", "params_key")
    ordering = ("-id",)
    inlines = [DemoRequestInline]
    readonly_fields = [f.name for f in DemoRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
