"""The card browser over HTTP."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.api.auth import learner
from dlquiz.api.pagination import HistoryCursor, Pages
from dlquiz.study.apis import CardOut, StateOut, card_data, state_data
from dlquiz.study.browse import (
    STATE_FILTERS,
    card_history,
    card_retrievability,
    card_state_get,
    card_state_list,
    forgetting_curve,
)
from dlquiz.study.models import CardState


class BrowseItem(serializers.Serializer):
    card = CardOut()
    state = StateOut(source="*")


class BrowsePage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = BrowseItem(many=True)


def _item(cs: CardState) -> dict:
    return {"card": card_data(cs.card), "state": state_data(cs)}


class CardListApi(APIView):
    class CardFilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, max_length=200, allow_blank=True, default="")
        deck = serializers.IntegerField(required=False, min_value=1)
        tag = serializers.CharField(required=False, max_length=64, allow_blank=True, default="")
        state = serializers.ChoiceField(
            choices=sorted(STATE_FILTERS), required=False, allow_blank=True, default=""
        )
        topic = serializers.CharField(required=False, max_length=32, allow_blank=True, default="")
        due_before = serializers.DateTimeField(required=False)
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(parameters=[CardFilterSerializer], responses={200: BrowsePage}, operation_id="cards_list")
    def get(self, request: Request) -> Response:
        f = self.CardFilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        filters = {k: v for k, v in f.validated_data.items() if k not in ("page", "page_size")}
        qs = card_state_list(user=learner(request), **filters)
        paginator = Pages()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_item(cs) for cs in page or []])


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
        return Response({**_item(cs), "retrievability": r, "curve": curve})


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
