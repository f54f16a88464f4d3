"""Admin for decks and cards: where editors (the ``editors`` group) author the bundled deck.

Thin adapters (docs/architecture.md, "Editing content"): the card form runs ``check_content``'s rules
(:func:`dlquiz.decks.authoring.card_edit_check`) and saves through
:func:`~dlquiz.decks.authoring.card_edit_save`; history, diff and revert are django-simple-history's
(``SimpleHistoryAdmin``); the item statistics come from :mod:`dlquiz.decks.item_stats`; an exercise card's
variants and its check from :mod:`dlquiz.exercises.authoring`. The change form's live preview is the web
app's own card renderer, built by Vite as a second entry (``frontend/src/admin/preview.tsx``).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from dlquiz.decks.authoring import REVERSE_SUFFIX, card_edit_check, card_edit_save
from dlquiz.decks.item_stats import (
    FLAG_MARGIN,
    FLAG_MIN_REVIEWS,
    FLAG_RATIO,
    card_stats,
    flagged_card_ids,
    review_counts,
)
from dlquiz.decks.models import Card, Deck, Enrollment
from dlquiz.exercises.authoring import exercise_card_verify, exercise_variants_preview


def bundled_only(request: HttpRequest, qs: QuerySet[Any], owner_path: str) -> QuerySet[Any]:
    """Editors see and edit the bundled deck only: a learner's own decks and cards are private to the
    learner (the superuser, who runs the site, still sees everything)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_superuser:
        return qs
    return qs.filter(**{f"{owner_path}__isnull": True})


@admin.register(Deck)
class DeckAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug", "owner", "source", "position", "active_cards", "retired_cards")
    list_filter = (("owner", admin.EmptyFieldListFilter),)
    search_fields = ("name", "slug", "owner__username")
    # Whose a deck is never changes here: a learner's deck given away would leave its states behind, a
    # bundled deck given to a learner would make load_content create a second deck of its slug. Decks
    # added here are bundled; learners make their own in the web app.
    readonly_fields = ("owner",)
    ordering = ("owner", "position", "id")

    def get_readonly_fields(self, request: HttpRequest, obj: Deck | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None:
            # load_content finds a bundled deck by its file's slug and export_content by its source: a
            # changed slug made the next load create a second deck and move the cards into it
            fields += ("slug", "source")
        return fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deck]:
        return (
            bundled_only(request, super().get_queryset(request), "owner")
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


class SpaceListField(forms.CharField):
    """A list of words (topics, tags) typed as in the content files: separated by spaces."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return " ".join(str(v) for v in value)
        if isinstance(value, str) and value.startswith("["):  # a bound form showing its JSON value
            try:
                return " ".join(json.loads(value))
            except (ValueError, TypeError):
                return value
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return text.replace(",", " ").split()


class CardText(forms.CharField):
    """Front or back: a browser posts a textarea's line breaks as CRLF; stored as LF, as the content files
    read (export_content could not write a card whose text holds CR)."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class CardAdminForm(forms.ModelForm):
    topics = SpaceListField(required=False, help_text="OUTLINE topic ids, separated by spaces")
    tags = SpaceListField(required=False, help_text="words, separated by spaces")
    front = CardText(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 90, "class": "vLargeTextField card-text"})
    )
    back = CardText(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 90, "class": "vLargeTextField card-text"}),
    )

    class Meta:
        model = Card
        fields = [
            "uid",
            "deck",
            "kind",
            "topics",
            "tags",
            "front",
            "back",
            "family",
            "params",
            "position",
            "draft",
            "retired",
        ]
        widgets = {"params": forms.Textarea(attrs={"rows": 2, "cols": 90})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        instance = self.instance

        def get(name: str) -> Any:  # a read-only field is not in the form: the card's own value
            return data[name] if name in data else getattr(instance, name, None)

        checked = card_edit_check(
            deck=get("deck"),
            uid=get("uid") or "",
            kind=get("kind"),
            front=get("front") or "",
            back=get("back") or "",
            topics=get("topics") or [],
            tags=get("tags") or [],
            family=get("family") or "",
            params=get("params") or {},
        )
        for problem in checked.errors:
            self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        deck = get("deck")
        if instance.pk is not None and deck is not None and deck.owner_id != instance.deck.owner_id:
            # a bundled card in a learner's deck would leave content/ at the next export; a learner's
            # card in another's deck would change hands
            self.add_error(
                "deck" if "deck" in self.fields else None,
                "a card moves only between bundled decks, or between decks of the same learner",
            )
        self.check_warnings = [p.message for p in checked.warnings] + (
            [checked.katex_note] if checked.katex_note else []
        )
        return data


class AgainFlagFilter(admin.SimpleListFilter):
    title = "重来率 / again rate"
    parameter_name = "again"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (
                "far-above-deck",
                f"far above its deck's (≥{FLAG_MIN_REVIEWS} reviews, ≥{FLAG_RATIO:g}× and ≥{FLAG_MARGIN:.0%} above)",
            )
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Card]) -> QuerySet[Card]:
        if self.value() == "far-above-deck":
            return queryset.filter(pk__in=flagged_card_ids(Card.objects.all()))
        return queryset


class ReviewedFilter(admin.SimpleListFilter):
    title = "复习 / reviews"
    parameter_name = "reviewed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "never reviewed"), ("yes", "reviewed"), ("10", f"{FLAG_MIN_REVIEWS}+ reviews")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Card]) -> QuerySet[Card]:
        value = self.value()
        if value == "no":
            return queryset.filter(Q(n_reviews=0))  # the annotation of item_stats.review_counts
        if value == "yes":
            return queryset.filter(Q(n_reviews__gt=0))
        if value == "10":
            return queryset.filter(Q(n_reviews__gte=FLAG_MIN_REVIEWS))
        return queryset


class CardChangeList(ChangeList):
    """The list page: the statistics that need Python (retrievability, flag) for the shown page only."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        stats = card_stats(self.result_list)
        for card in self.result_list:
            card.item_stats = stats[card.pk]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


@admin.register(Card)
class CardAdmin(SimpleHistoryAdmin):
    form = CardAdminForm
    change_form_template = "admin/decks/card/change_form.html"
    list_display = (
        "uid",
        "deck",
        "kind",
        "short_front",
        "reviews",
        "again_rate",
        "lapses",
        "learners",
        "mean_retrievability",
        "flag",
    )
    list_filter = (
        AgainFlagFilter,
        ReviewedFilter,
        "kind",
        "retired",
        "draft",
        ("deck__owner", admin.EmptyFieldListFilter),
        "deck",
    )
    search_fields = ("uid", "front", "back")
    list_select_related = ("deck",)
    raw_id_fields = ("deck",)
    readonly_fields = ("updated_at",)
    ordering = ("deck__position", "position")
    actions = ["check_exercise_cards"]
    history_list_display = ["kind"]

    class Media:
        css = {"all": ("decks/admin-card.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Card]:
        return review_counts(bundled_only(request, super().get_queryset(request), "deck__owner"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "deck":
            kwargs["queryset"] = bundled_only(request, Deck.objects.all(), "owner")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CardChangeList

    def get_readonly_fields(self, request: HttpRequest, obj: Card | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ("uid",)  # ids are stable forever (docs/content-format.md)
        if obj is not None and obj.uid.endswith(REVERSE_SUFFIX) and obj.deck.owner_id is None:
            # made by load_content from <id>'s sides: edit <id>, this card follows
            fields += ("deck", "kind", "topics", "tags", "front", "back")
        return fields

    # -- list columns -------------------------------------------------------------------------------

    @admin.display(description="front")
    def short_front(self, obj: Card) -> str:
        return obj.front if len(obj.front) <= 40 else obj.front[:39] + "…"

    @admin.display(description="reviews", ordering="n_reviews")
    def reviews(self, obj: Card) -> int:
        return obj.n_reviews  # type: ignore[attr-defined]

    @admin.display(description="again", ordering="n_again")
    def again_rate(self, obj: Card) -> str:
        n = obj.n_reviews  # type: ignore[attr-defined]
        return _pct(obj.n_again / n if n else None)  # type: ignore[attr-defined]

    @admin.display(description="lapses", ordering="n_lapses")
    def lapses(self, obj: Card) -> int:
        return obj.n_lapses  # type: ignore[attr-defined]

    @admin.display(description="learners", ordering="n_learners")
    def learners(self, obj: Card) -> int:
        return obj.n_learners  # type: ignore[attr-defined]

    @admin.display(description="mean R")
    def mean_retrievability(self, obj: Card) -> str:
        stats = getattr(obj, "item_stats", None)
        return _pct(stats.retrievability if stats else None)

    @admin.display(description="flag")
    def flag(self, obj: Card) -> str:
        """⚑ when the again rate is far above the deck's (item_stats: the rule), else nothing."""
        stats = getattr(obj, "item_stats", None)
        return "⚑" if stats and stats.flagged else ""

    # -- saving -------------------------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Card, form: Any, change: bool) -> None:
        card_edit_save(card=obj, user=request.user)
        for warning in getattr(form, "check_warnings", []):
            self.message_user(request, warning, messages.WARNING)

    # -- the card page: preview, statistics, exercise variants and check ----------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        card = (
            Card.objects.select_related("deck").filter(pk=object_id).first() if object_id.isdigit() else None
        )
        if card is not None:
            extra["item_stats"] = card_stats([card])[card.pk]
            extra["flag_rule"] = (
                f"at least {FLAG_MIN_REVIEWS} reviews, and an again rate at least {FLAG_RATIO:g} times its "
                f"deck's and at least {FLAG_MARGIN:.0%} above it"
            )
            if card.kind == Card.Kind.EXERCISE and card.family:
                extra["exercise_variants"] = exercise_variants_preview(card=card)
                extra["check_url"] = reverse("admin:decks_card_check", args=[card.pk])
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:object_id>/check/",
                self.admin_site.admin_view(self.check_view),
                name="decks_card_check",
            ),
            *super().get_urls(),
        ]

    def check_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """POST: the "check this card" button of an exercise card's page."""
        card = get_object_or_404(Card, pk=object_id)
        if request.method != "POST" or not self.has_view_permission(request, card):
            return HttpResponse(status=405 if request.method != "POST" else 403)
        self._report_check(request, card)
        return HttpResponseRedirect(reverse("admin:decks_card_change", args=[card.pk]))

    @admin.action(description="检查练习卡 / check exercise cards")
    def check_exercise_cards(self, request: HttpRequest, queryset: QuerySet[Card]) -> None:
        cards = list(queryset.filter(kind=Card.Kind.EXERCISE)[:50])
        if not cards:
            self.message_user(request, "No exercise card selected.", messages.WARNING)
        for card in cards:
            self._report_check(request, card)

    def _report_check(self, request: HttpRequest, card: Card) -> None:
        report = exercise_card_verify(card=card)
        self.message_user(request, report.summary(), messages.SUCCESS if report.ok else messages.ERROR)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "deck", "created_at")
    list_select_related = ("user", "deck")
    search_fields = ("user__username", "deck__name")
    raw_id_fields = ("user", "deck")
