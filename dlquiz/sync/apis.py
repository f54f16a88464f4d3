"""The sync endpoints (``sync/reviews``, ``sync/changes``), mounted under ``/api/v1/`` by ``sync/urls.py``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.api.auth import learner
from dlquiz.api.fields import IdField
from dlquiz.api.throttles import ScopedThrottle
from dlquiz.decks.models import Card
from dlquiz.study.apis import SettingsSerializer, StateOut, state_data
from dlquiz.study.models import CardState
from dlquiz.study.scheduling import MAXIMUM_INTERVAL, parameters_of
from dlquiz.sync.selectors import DEFAULT_PAGE, MAX_PAGE, sync_changes
from dlquiz.sync.services import MAX_BATCH, OfflineReview, reviews_sync


def _iso(value: dt.datetime | None) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


class SyncStateOut(StateOut):
    card = serializers.IntegerField()
    leech = serializers.BooleanField()


def _state(cs: CardState) -> dict[str, Any]:
    return {"card": cs.card_id, **state_data(cs), "leech": cs.leech}


class SyncReviewIn(serializers.Serializer):
    client_review_id = serializers.RegexField(r"^[A-Za-z0-9_.:-]{8,64}$")
    card = IdField()
    rating = serializers.IntegerField(min_value=1, max_value=4)
    reviewed_at = serializers.DateTimeField(help_text="by the device's clock")
    duration_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, required=False)


class SyncReviewOut(serializers.Serializer):
    client_review_id = serializers.CharField()
    card = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    reason = serializers.ChoiceField(
        choices=["future", "too_early", "not_found", "conflict"],
        allow_null=True,
        help_text="why a review was rejected",
    )
    reviewed_at = serializers.DateTimeField(allow_null=True, help_text="as stored, on the server's clock")


class SyncReviewsApi(APIView):
    """Upload a batch of reviews made offline on one device (at most 1,000), each idempotent on its
    ``client_review_id``. Each item's outcome: ``created``, ``duplicate`` (already stored: nothing written) or
    ``rejected`` with a reason (``future``: more than 5 minutes ahead of the server after correcting for the
    device's clock; ``too_early``: before 2000; ``not_found``: not one of the learner's cards; ``conflict``:
    the id names another review). A rejected item never stops the rest. The answer carries the state of every
    card the batch names: a card's state is the replay of its whole log in ``reviewed_at`` order."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "review"

    class SyncReviewsInputSerializer(serializers.Serializer):
        device_time = serializers.DateTimeField(help_text="the device's clock when it sent the batch")
        reviews: serializers.ListSerializer[Any] = serializers.ListSerializer(
            child=SyncReviewIn(), max_length=MAX_BATCH, help_text=f"at most {MAX_BATCH}"
        )

    class SyncReviewsOutputSerializer(serializers.Serializer):
        server_time = serializers.DateTimeField()
        clock_offset_ms = serializers.IntegerField(help_text="what was added to the device's times")
        items: serializers.ListSerializer[Any] = serializers.ListSerializer(
            child=SyncReviewOut(), help_text="one per review, in the batch's order"
        )
        states = SyncStateOut(many=True)

    @extend_schema(
        request=SyncReviewsInputSerializer,
        responses={200: SyncReviewsOutputSerializer},
        operation_id="sync_reviews",
    )
    def post(self, request: Request) -> Response:
        s = self.SyncReviewsInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        now = timezone.now()
        result = reviews_sync(
            user=learner(request),
            reviews=[
                OfflineReview(
                    r["client_review_id"], r["card"], r["rating"], r["reviewed_at"], r.get("duration_ms")
                )
                for r in d["reviews"]
            ],
            device_time=d["device_time"],
            now=now,
        )
        return Response(
            {
                "server_time": _iso(now),
                "clock_offset_ms": round(result.clock_offset / dt.timedelta(milliseconds=1)),
                "items": [
                    {
                        "client_review_id": o.client_review_id,
                        "card": o.card_id,
                        "outcome": o.outcome,
                        "reason": o.reason,
                        "reviewed_at": _iso(o.reviewed_at),
                    }
                    for o in result.items
                ],
                "states": [_state(cs) for cs in result.states],
            }
        )


class SyncCardOut(serializers.Serializer):
    id = serializers.IntegerField()
    uid = serializers.CharField()
    deck = serializers.IntegerField()
    kind = serializers.CharField()
    front = serializers.CharField()
    back = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    topics = serializers.ListField(child=serializers.CharField())
    family = serializers.CharField(allow_blank=True)
    params = serializers.DictField()
    position = serializers.IntegerField(help_text="the order new cards are introduced in")
    updated_at = serializers.DateTimeField()
    state = SyncStateOut()


def _card(card: Card, cs: CardState) -> dict[str, Any]:
    return {
        "id": card.pk,
        "uid": card.uid,
        "deck": card.deck_id,
        "kind": card.kind,
        "front": card.front,
        "back": card.back,
        "tags": card.tags,
        "topics": card.topics,
        "family": card.family,
        "params": card.params,
        "position": card.position,
        "updated_at": _iso(card.updated_at),
        "state": _state(cs),
    }


class SyncSettingsOut(SettingsSerializer):
    learner = serializers.IntegerField(help_text="the learner's id: part of each review's fuzz seed")
    fsrs_parameters = serializers.ListField(
        child=serializers.FloatField(), help_text="the FSRS weights in force"
    )
    maximum_interval = serializers.IntegerField(help_text="days")


class SyncDeckOut(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class SyncChangesApi(APIView):
    """Everything a device needs to keep an offline copy, as changes since ``cursor`` (omit it the first
    time): new and edited cards of the learner's decks with the learner's state of each, changed card states,
    retired cards as ``deleted`` ids, and on the last page (``has_more`` false) the settings, the decks and
    the cursor to send next time. Apply every page in order; applying an item twice is harmless."""

    class SyncChangesQuerySerializer(serializers.Serializer):
        cursor = serializers.CharField(required=False, max_length=4096, help_text="from the previous answer")
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_PAGE, default=DEFAULT_PAGE, help_text="cards per page"
        )

    class SyncChangesOutputSerializer(serializers.Serializer):
        cards = SyncCardOut(many=True)
        deleted = serializers.ListField(child=serializers.IntegerField(), help_text="retired cards' ids")
        next_cursor = serializers.CharField()
        has_more = serializers.BooleanField()
        settings = SyncSettingsOut(allow_null=True, help_text="on the last page")
        decks = SyncDeckOut(many=True, allow_null=True, help_text="the learner's decks, on the last page")

    @extend_schema(
        parameters=[SyncChangesQuerySerializer],
        responses={200: SyncChangesOutputSerializer},
        operation_id="sync_changes",
    )
    def get(self, request: Request) -> Response:
        q = self.SyncChangesQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        user = learner(request)
        ch = sync_changes(
            user=user,
            cursor=q.validated_data.get("cursor"),
            limit=q.validated_data["limit"],
            now=timezone.now(),
        )
        settings = None
        if ch.settings is not None:
            settings = {
                **SettingsSerializer(ch.settings).data,
                "learner": user.pk,
                "fsrs_parameters": list(parameters_of(ch.settings)),
                "maximum_interval": MAXIMUM_INTERVAL,
            }
        return Response(
            {
                "cards": [_card(card, cs) for card, cs in ch.cards],
                "deleted": ch.deleted,
                "next_cursor": ch.next_cursor,
                "has_more": ch.has_more,
                "settings": settings,
                "decks": None
                if ch.decks is None
                else [{"id": d.pk, "slug": d.slug, "name": d.name} for d in ch.decks],
            }
        )
