"""The study loop over HTTP: decks, queue, reviews, undo, card actions, settings, dashboard."""

from __future__ import annotations

import uuid

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from dlquiz.api.auth import learner
from dlquiz.study.models import CardState, ReviewLog, State
from dlquiz.study.scheduling import memory_of
from dlquiz.study.selectors import dashboard_stats, deck_due_counts, settings_get, study_queue
from dlquiz.study.services import (
    SETTINGS_FIELDS,
    card_bury,
    card_reset,
    card_suspend,
    review_submit,
    review_undo,
    settings_update,
)


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


class Intervals(serializers.Serializer):
    again = serializers.IntegerField(source="1", help_text="seconds until due if rated Again")
    hard = serializers.IntegerField(source="2")
    good = serializers.IntegerField(source="3")
    easy = serializers.IntegerField(source="4")


class DeckListApi(APIView):
    @extend_schema(responses={200: DeckCounts(many=True)}, operation_id="decks_list")
    def get(self, request: Request) -> Response:
        return Response(
            DeckCounts(deck_due_counts(user=learner(request), now=timezone.now()), many=True).data
        )


class QueueParams(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, required=False, default=20)


class QueueApi(APIView):
    class QueueItemOut(serializers.Serializer):
        card = CardOut(source="state.card")
        state = StateOut()
        queue = serializers.ChoiceField(choices=["learning", "review", "new"])
        intervals = Intervals()

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
            user=learner(request), now=timezone.now(), limit=params.validated_data["limit"]
        )
        cards = [
            {
                "card": card_data(i.state.card),
                "state": state_data(i.state),
                "queue": i.queue,
                "intervals": {
                    "again": i.intervals[1],
                    "hard": i.intervals[2],
                    "good": i.intervals[3],
                    "easy": i.intervals[4],
                },
            }
            for i in items
        ]
        return Response({"today": TodayOut(today).data, "cards": cards})


class ReviewOut(serializers.Serializer):
    id = serializers.IntegerField()
    card = serializers.IntegerField(source="card_id")
    rating = serializers.IntegerField()
    reviewed_at = serializers.DateTimeField()
    client_review_id = serializers.CharField()
    state_after = serializers.DictField()
    due = serializers.SerializerMethodField()

    def get_due(self, obj: ReviewLog) -> str | None:
        return obj.state_after.get("due")


def review_data(log: ReviewLog) -> dict:
    """ReviewOut's representation, built directly (the hot path of the study loop)."""
    return {
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

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "review"

    class ReviewInputSerializer(serializers.Serializer):
        card = serializers.IntegerField(min_value=1)
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
            review_data(outcome.log),
            status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        )


class ReviewUndoApi(APIView):
    @extend_schema(request=None, responses={200: ReviewOut}, operation_id="reviews_undo")
    def post(self, request: Request) -> Response:
        log = review_undo(user=learner(request))
        return Response(ReviewOut(log).data)


class CardActionApi(APIView):
    """suspend / unsuspend / bury (until the next study day) / reset (forget)."""

    action_name = ""

    @extend_schema(request=None, responses={200: StateOut})
    def post(self, request: Request, card_id: int) -> Response:
        now = timezone.now()
        if self.action_name == "suspend":
            cs = card_suspend(user=learner(request), card_id=card_id, suspended=True)
        elif self.action_name == "unsuspend":
            cs = card_suspend(user=learner(request), card_id=card_id, suspended=False)
        elif self.action_name == "bury":
            cs = card_bury(user=learner(request), card_id=card_id, now=now)
        else:
            cs = card_reset(
                user=learner(request), card_id=card_id, now=now, client_review_id=f"reset-{uuid.uuid4()}"
            )
        return Response(StateOut(cs).data)


class SettingsSerializer(serializers.Serializer):
    desired_retention = serializers.FloatField(min_value=0.7, max_value=0.99)
    new_per_day = serializers.IntegerField(min_value=0, max_value=9999)
    max_reviews_per_day = serializers.IntegerField(min_value=0, max_value=99999)
    learning_steps = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=10080), max_length=10
    )
    relearning_steps = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=10080), max_length=10
    )
    timezone = serializers.CharField(max_length=64)
    day_start_hour = serializers.IntegerField(min_value=0, max_value=23)
    reminder_time = serializers.TimeField()
    email_reminders = serializers.BooleanField()
    language = serializers.ChoiceField(choices=["zh", "en"])


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
