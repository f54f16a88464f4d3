"""Admin for decks and cards: browsing and light fixes. Bundled cards come from content/ (load_content
overwrites edits there); learners' imported cards are theirs."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from dlquiz.decks.models import Card, Deck, Enrollment


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "source", "position", "active_cards", "retired_cards")
    list_filter = (("owner", admin.EmptyFieldListFilter),)
    search_fields = ("name", "slug", "owner__username")
    raw_id_fields = ("owner",)
    ordering = ("owner", "position", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deck]:
        return (
            super()
            .get_queryset(request)
            .select_related("owner")
            .annotate(
                n_active=Count("cards", filter=Q(cards__retired=False)),
                n_retired=Count("cards", filter=Q(cards__retired=True)),
            )
        )

    @admin.display(description="active cards", ordering="n_active")
    def active_cards(self, obj: Deck) -> int:
        return obj.n_active  # type: ignore[attr-defined]

    @admin.display(description="retired", ordering="n_retired")
    def retired_cards(self, obj: Deck) -> int:
        return obj.n_retired  # type: ignore[attr-defined]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("uid", "deck", "kind", "short_front", "position", "draft", "retired", "updated_at")
    list_filter = ("kind", "retired", "draft", ("deck__owner", admin.EmptyFieldListFilter), "deck")
    search_fields = ("uid", "front", "back")
    list_select_related = ("deck",)
    raw_id_fields = ("deck",)
    readonly_fields = ("uid", "updated_at")
    ordering = ("deck__position", "position")

    @admin.display(description="front")
    def short_front(self, obj: Card) -> str:
        return obj.front if len(obj.front) <= 80 else obj.front[:79] + "…"


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "deck", "created_at")
    list_select_related = ("user", "deck")
    search_fields = ("user__username", "deck__name")
    raw_id_fields = ("user", "deck")
