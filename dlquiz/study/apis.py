"""The study endpoints: decks, the queue (and new cards beyond it), reviews, undo, card actions, settings,
the dashboard, the card browser and cards to practise. Mounted under ``/api/v1/`` by ``study/urls.py``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.api.auth import learner
from dlquiz.api.fields import FiniteFloatField, IdField, LocalTimeField, QueryDateTimeField
from dlquiz.api.pagination import HistoryCursor, Pages
from dlquiz.api.throttles import ScopedThrottle
from dlquiz.decks.models import Card
from dlquiz.errors import NotFound
from dlquiz.study.browse import (
    STATE_FILTERS,
    browse_facets,
    card_history,
    card_retrievability,
    card_search,
    card_state_get,
    forgetting_curve,
)
from dlquiz.study.models import CardState, ReviewLog, State
from dlquiz.study.ordering import ORDERS
from dlquiz.study.scheduling import memory_of
from dlquiz.study.selectors import (
    MAX_LIMIT,
    QueueItem,
    StudyScope,
    dashboard_stats,
    deck_due_counts,
    practice_cards,
    settings_get,
    study_extra_new,
    study_queue,
)
from dlquiz.study.services import (
    SETTINGS_FIELDS,
    card_bury,
    card_reset,
    card_suspend,
    card_unbury,
    review_submit,
    review_undo,
    settings_update,
)
from dlquiz.study.zones import validate_time_zone


class DeckCounts(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    learning = serializers.IntegerField(help_text="learning/relearning cards due now")
    review = serializers.IntegerField(help_text="review cards due today")
    new = serializers.IntegerField(help_text="new cards not yet studied")
    due = serializers.IntegerField()
    total = serializers.IntegerField()


class CardOut(serializers.Serializer):
    id = serializers.IntegerField()
    uid = serializers.CharField()
    deck = serializers.IntegerField(source="deck_id")
    deck_name = serializers.CharField(source="deck.name")
    kind = serializers.CharField()
    front = serializers.CharField()
    back = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    topics = serializers.ListField(child=serializers.CharField())
    family = serializers.CharField(allow_blank=True)


class StateOut(serializers.Serializer):
    state = serializers.SerializerMethodField()
    step = serializers.IntegerField(allow_null=True)
    stability = serializers.FloatField(allow_null=True)
    difficulty = serializers.FloatField(allow_null=True)
    due = serializers.DateTimeField(allow_null=True)
    last_review = serializers.DateTimeField(allow_null=True)
    reps = serializers.IntegerField()
    lapses = serializers.IntegerField()
    suspended = serializers.BooleanField()
    buried_until = serializers.DateTimeField(allow_null=True)

    def get_state(self, obj: CardState) -> str:
        return State(obj.state).label


def card_data(card) -> dict:  # type: ignore[no-untyped-def]
    """CardOut's representation, built directly: the queue builds dozens per request."""
    return {
        "id": card.id,
        "uid": card.uid,
        "deck": card.deck_id,
        "deck_name": card.deck.name,
        "kind": card.kind,
        "front": card.front,
        "back": card.back,
        "tags": card.tags,
        "topics": card.topics,
        "family": card.family,
    }


def _iso(value) -> str | None:  # type: ignore[no-untyped-def]
    return serializers.DateTimeField().to_representation(value) if value else None


def state_data(cs: CardState) -> dict:
    """StateOut's representation, built directly."""
    return {
        **memory_of(cs).to_api(time=_iso),
        "suspended": cs.suspended,
        "buried_until": _iso(cs.buried_until),
    }


class TodayOut(serializers.Serializer):
    new_done = serializers.IntegerField()
    reviews_done = serializers.IntegerField()
    total_done = serializers.IntegerField()
    new_left = serializers.IntegerField()
    reviews_left = serializers.IntegerField()
    learning_later = serializers.IntegerField(
        default=0, help_text="learning/relearning cards waiting for their step, not in this answer"
    )
    learning_next_due = serializers.DateTimeField(
        allow_null=True,
        default=None,
        help_text="when the first of those is due (ask for the queue again then)",
    )


class Intervals(serializers.Serializer):
    again = serializers.IntegerField(source="1", help_text="seconds until due if rated Again")
    hard = serializers.IntegerField(source="2")
    good = serializers.IntegerField(source="3")
    easy = serializers.IntegerField(source="4")


class QueueItemOut(serializers.Serializer):
    card = CardOut(source="state.card")
    state = StateOut()
    queue = serializers.ChoiceField(choices=["learning", "review", "new"])
    intervals = Intervals()


def queue_item_data(item: QueueItem) -> dict[str, Any]:
    """QueueItemOut's representation, built directly: the one shape of a card to study, in the queue and
    among the extra new cards."""
    return {
        "card": card_data(item.state.card),
        "state": state_data(item.state),
        "queue": item.queue,
        "intervals": {
            "again": item.intervals[1],
            "hard": item.intervals[2],
            "good": item.intervals[3],
            "easy": item.intervals[4],
        },
    }


class DeckListApi(APIView):
    @extend_schema(responses={200: DeckCounts(many=True)}, operation_id="decks_list")
    def get(self, request: Request) -> Response:
        return Response(
            DeckCounts(deck_due_counts(user=learner(request), now=timezone.now()), many=True).data
        )


class ScopeParams(serializers.Serializer):
    """Custom study: only one deck, tag, topic or kind of card (any combination; none: everything)."""

    deck = IdField(required=False, help_text="custom study: one deck")
    tag = serializers.CharField(required=False, max_length=64, default="", help_text="custom study: one tag")
    topic = serializers.CharField(
        required=False, max_length=32, default="", help_text="custom study: one topic"
    )
    kind = serializers.ChoiceField(
        choices=Card.Kind.choices,
        required=False,
        help_text="custom study: one kind (exercise: exercises only)",
    )


def scope_of(data: dict[str, Any]) -> StudyScope:
    return StudyScope(
        deck=data.get("deck"), tag=data.get("tag", ""), topic=data.get("topic", ""), kind=data.get("kind", "")
    )


class QueueParams(ScopeParams):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=20)


class QueueApi(APIView):
    @extend_schema(
        parameters=[QueueParams],
        responses={
            200: inline_serializer("QueueOut", {"today": TodayOut(), "cards": QueueItemOut(many=True)})
        },
        operation_id="study_queue",
    )
    def get(self, request: Request) -> Response:
        params = QueueParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        items, today = study_queue(
            user=learner(request),
            now=timezone.now(),
            limit=params.validated_data["limit"],
            scope=scope_of(params.validated_data),
        )
        return Response({"today": TodayOut(today).data, "cards": [queue_item_data(i) for i in items]})


class ExtraNewApi(APIView):
    """New cards beyond today's new-card limit, shaped like the study queue (reviews go to ``reviews``)."""

    @extend_schema(
        parameters=[QueueParams],
        responses={200: inline_serializer("ExtraNewOut", {"cards": QueueItemOut(many=True)})},
        operation_id="study_extra_new",
    )
    def get(self, request: Request) -> Response:
        params = QueueParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        items = study_extra_new(
            user=learner(request),
            now=timezone.now(),
            limit=params.validated_data["limit"],
            scope=scope_of(params.validated_data),
        )
        return Response({"cards": [queue_item_data(i) for i in items]})


class ReviewOut(serializers.Serializer):
    id = serializers.IntegerField()
    card = serializers.IntegerField(source="card_id")
    rating = serializers.IntegerField()
    reviewed_at = serializers.DateTimeField()
    client_review_id = serializers.CharField()
    state_after = serializers.DictField()
    due = serializers.SerializerMethodField()
    leech = serializers.BooleanField(
        default=False, help_text="this review made the card a leech: it is tagged leech and suspended"
    )

    def get_due(self, obj: ReviewLog) -> str | None:
        return obj.state_after.get("due")


def review_data(log: ReviewLog, *, leech: bool = False) -> dict:
    """ReviewOut's representation, built directly (the hot path of the study loop)."""
    return {
        "leech": leech,
        "id": log.pk,
        "card": log.card_id,
        "rating": log.rating,
        "reviewed_at": _iso(log.reviewed_at),
        "client_review_id": log.client_review_id,
        "state_after": log.state_after,
        "due": log.state_after.get("due"),
    }


class ReviewCreateApi(APIView):
    """Submit one review. Designed for offline sync: the client generates ``client_review_id`` and may
    send ``reviewed_at``; a repeat of the same id returns the first result (200) and writes nothing."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "review"

    class ReviewInputSerializer(serializers.Serializer):
        card = IdField()
        rating = serializers.IntegerField(min_value=1, max_value=4)
        client_review_id = serializers.RegexField(r"^[A-Za-z0-9_.:-]{8,64}$")
        reviewed_at = serializers.DateTimeField(required=False)
        duration_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, required=False)

    @extend_schema(
        request=ReviewInputSerializer,
        responses={201: ReviewOut, 200: ReviewOut},
        operation_id="reviews_create",
    )
    def post(self, request: Request) -> Response:
        s = self.ReviewInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        outcome = review_submit(
            user=learner(request),
            card_id=d["card"],
            rating=d["rating"],
            client_review_id=d["client_review_id"],
            now=timezone.now(),
            reviewed_at=d.get("reviewed_at"),
            duration_ms=d.get("duration_ms"),
        )
        return Response(
            review_data(outcome.log, leech=outcome.leech),
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


class ReviewUndoApi(APIView):
    @extend_schema(request=None, responses={200: ReviewOut}, operation_id="reviews_undo")
    def post(self, request: Request) -> Response:
        log = review_undo(user=learner(request))
        return Response(review_data(log))


CardAction = Callable[[User, int, dt.datetime], CardState]

CARD_ACTIONS: dict[str, CardAction] = {
    "suspend": lambda user, card_id, now: card_suspend(user=user, card_id=card_id, suspended=True),
    "unsuspend": lambda user, card_id, now: card_suspend(user=user, card_id=card_id, suspended=False),
    "bury": lambda user, card_id, now: card_bury(user=user, card_id=card_id, now=now),
    "unbury": lambda user, card_id, now: card_unbury(user=user, card_id=card_id),
    "reset": lambda user, card_id, now: card_reset(
        user=user, card_id=card_id, now=now, client_review_id=f"reset-{uuid.uuid4()}"
    ),
}


class CardActionApi(APIView):
    """suspend / unsuspend / bury (until the next study day) / unbury / reset (forget)."""

    # One of CARD_ACTIONS, set by the URL (study/urls.py). Any other name is refused, never defaulted.
    action_name = ""

    @extend_schema(request=None, responses={200: StateOut})
    def post(self, request: Request, card_id: int) -> Response:
        action = CARD_ACTIONS.get(self.action_name)
        if action is None:
            raise NotFound("未知的卡片操作 / unknown card action", code="unknown_action")
        return Response(StateOut(action(learner(request), card_id, timezone.now())).data)


class SettingsSerializer(serializers.Serializer):
    desired_retention = FiniteFloatField(min_value=0.7, max_value=0.99)
    new_per_day = serializers.IntegerField(min_value=0, max_value=9999)
    max_reviews_per_day = serializers.IntegerField(min_value=0, max_value=99999)
    learning_steps = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=10080), max_length=10
    )
    relearning_steps = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=10080), max_length=10
    )
    timezone = serializers.CharField(max_length=64, validators=[validate_time_zone])
    day_start_hour = serializers.IntegerField(min_value=0, max_value=23)
    reminder_time = LocalTimeField()
    email_reminders = serializers.BooleanField()
    language = serializers.ChoiceField(choices=["zh", "en"])
    leech_threshold = serializers.IntegerField(
        min_value=1, max_value=99, help_text="lapses after which a card is tagged leech and suspended"
    )
    learn_ahead_minutes = serializers.IntegerField(
        min_value=0,
        max_value=1440,
        help_text="when nothing else is left, learning cards due within this many minutes are shown early",
    )
    deck_new_limits = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=9999),
        help_text="deck id -> new cards a day from that deck (within new_per_day); a deck not listed has no cap of its own",
    )

    deck_review_limits = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=99999),
        help_text="deck id -> reviews a day from that deck (within max_reviews_per_day); a deck not listed has no cap of its own",
    )

    @staticmethod
    def _deck_keys(value: dict[str, int]) -> dict[str, int]:
        if len(value) > 500 or not all(k.isdigit() and 0 < int(k) < 2**31 for k in value):
            raise serializers.ValidationError("keys are deck ids")
        return {str(int(k)): v for k, v in value.items()}

    def validate_deck_new_limits(self, value: dict[str, int]) -> dict[str, int]:
        return self._deck_keys(value)

    def validate_deck_review_limits(self, value: dict[str, int]) -> dict[str, int]:
        return self._deck_keys(value)

    new_card_order = serializers.ChoiceField(
        choices=list(ORDERS),
        help_text="deck: deck order; mixed: across decks; interleaved: exercises after the cards of their topics",
    )


class SettingsApi(APIView):
    @extend_schema(responses={200: SettingsSerializer}, operation_id="settings_get")
    def get(self, request: Request) -> Response:
        return Response(SettingsSerializer(settings_get(user=learner(request))).data)

    @extend_schema(
        request=SettingsSerializer(partial=True),
        responses={200: SettingsSerializer},
        operation_id="settings_update",
    )
    def patch(self, request: Request) -> Response:
        s = SettingsSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        changes = {k: v for k, v in s.validated_data.items() if k in SETTINGS_FIELDS}
        prefs = settings_update(user=learner(request), **changes)
        return Response(SettingsSerializer(prefs).data)


class PingApi(APIView):
    """A trivial authenticated JSON endpoint (health check and the benchmark's baseline)."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "PingOut", {"ok": serializers.BooleanField(), "user": serializers.IntegerField()}
            )
        },
        operation_id="ping",
    )
    def get(self, request: Request) -> Response:
        return Response({"ok": True, "user": request.user.pk})


class DayCount(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()


class RetentionDay(serializers.Serializer):
    date = serializers.DateField()
    reviews = serializers.IntegerField()
    recalled = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class DashboardApi(APIView):
    class DashboardOutputSerializer(serializers.Serializer):
        today = inline_serializer(
            "DashboardToday",
            {
                "date": serializers.DateField(),
                "reviewed": serializers.IntegerField(),
                "new_done": serializers.IntegerField(),
                "reviews_done": serializers.IntegerField(),
                "new_left": serializers.IntegerField(),
                "reviews_left": serializers.IntegerField(),
                "due_now": serializers.IntegerField(),
                "due_today": serializers.IntegerField(),
                "new_available": serializers.IntegerField(),
            },
        )
        streak = serializers.IntegerField()
        heatmap = DayCount(many=True)
        forecast = DayCount(many=True)
        retention = RetentionDay(many=True)
        retention_30d = serializers.FloatField(allow_null=True)
        decks = DeckCounts(many=True)

    @extend_schema(responses={200: DashboardOutputSerializer}, operation_id="dashboard")
    def get(self, request: Request) -> Response:
        return Response(dashboard_stats(user=learner(request), now=timezone.now()))


class BrowseItem(serializers.Serializer):
    card = CardOut()
    state = StateOut(source="*")


class BrowsePage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = BrowseItem(many=True)
    highlight = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="the search's words and their synonyms (content/synonyms.txt), to mark in the results",
    )


def _browse_item(cs: CardState) -> dict[str, Any]:
    return {"card": card_data(cs.card), "state": state_data(cs)}


class CardListApi(APIView):
    class CardFilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False,
            max_length=200,
            allow_blank=True,
            default="",
            help_text="words (synonyms count) and tag: deck: topic: is:due|new|learning|review|suspended|leech "
            "kind: (docs/api.md); ranked by relevance",
        )
        deck = IdField(required=False)
        tag = serializers.CharField(required=False, max_length=64, allow_blank=True, default="")
        state = serializers.ChoiceField(
            choices=sorted(STATE_FILTERS), required=False, allow_blank=True, default=""
        )
        topic = serializers.CharField(required=False, max_length=32, allow_blank=True, default="")
        due_before = QueryDateTimeField(required=False)
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(parameters=[CardFilterSerializer], responses={200: BrowsePage}, operation_id="cards_list")
    def get(self, request: Request) -> Response:
        f = self.CardFilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        filters = {k: v for k, v in f.validated_data.items() if k not in ("page", "page_size")}
        found = card_search(user=learner(request), now=timezone.now(), **filters)
        paginator = Pages()
        page = paginator.paginate_queryset(found.cards, request, view=self)
        response = paginator.get_paginated_response([_browse_item(cs) for cs in page or []])
        response.data["highlight"] = found.highlight
        return response


class CardDetailApi(APIView):
    class CardDetailOutputSerializer(serializers.Serializer):
        card = CardOut()
        state = StateOut()
        retrievability = serializers.FloatField()
        curve = inline_serializer(
            "CurvePoint",
            {"day": serializers.IntegerField(), "retrievability": serializers.FloatField()},
            many=True,
        )

    @extend_schema(responses={200: CardDetailOutputSerializer}, operation_id="cards_retrieve")
    def get(self, request: Request, card_id: int) -> Response:
        cs = card_state_get(user=learner(request), card_id=card_id)
        now = timezone.now()
        curve = forgetting_curve(user=learner(request), cs=cs, now=now)
        r = card_retrievability(user=learner(request), cs=cs, now=now)
        return Response({**_browse_item(cs), "retrievability": r, "curve": curve})


class CardHistoryApi(APIView):
    class ReviewLogOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        rating = serializers.IntegerField()
        reviewed_at = serializers.DateTimeField()
        duration_ms = serializers.IntegerField(allow_null=True)
        state_before = serializers.DictField()
        state_after = serializers.DictField()

    @extend_schema(
        responses={
            200: inline_serializer(
                "HistoryPage",
                {
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": ReviewLogOutputSerializer(many=True),
                },
            )
        },
        operation_id="cards_history",
    )
    def get(self, request: Request, card_id: int) -> Response:
        qs = card_history(user=learner(request), card_id=card_id)
        paginator = HistoryCursor()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(self.ReviewLogOutputSerializer(page, many=True).data)


class BrowseFacetsApi(APIView):
    """The tags and topics (with their outline titles) of the learner's cards, for the browser's filters."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "BrowseFacetsOut",
                {
                    "tags": serializers.ListField(child=serializers.CharField()),
                    "topics": inline_serializer(
                        "TopicOut",
                        {"id": serializers.CharField(), "title": serializers.CharField(allow_blank=True)},
                        many=True,
                    ),
                },
            )
        },
        operation_id="browse_facets",
    )
    def get(self, request: Request) -> Response:
        return Response(browse_facets(user=learner(request)))


class PracticeCardsApi(APIView):
    """Cards to practise without scheduling (nothing is recorded)."""

    class PracticeParams(ScopeParams):
        limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=20)

    @extend_schema(
        parameters=[PracticeParams],
        responses={200: inline_serializer("PracticeCardsOut", {"cards": CardOut(many=True)})},
        operation_id="practice_cards",
    )
    def get(self, request: Request) -> Response:
        p = self.PracticeParams(data=request.query_params)
        p.is_valid(raise_exception=True)
        states = practice_cards(
            user=learner(request),
            now=timezone.now(),
            limit=p.validated_data["limit"],
            scope=scope_of(p.validated_data),
        )
        return Response({"cards": [card_data(s.card) for s in states]})
