"""API the single-page app needs beyond the study loop: learn more new cards today, practise without
scheduling, and the browser's filter values. Mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.study.apis import CardOut, QueueApi
from dlquiz.web.selectors import MAX_LIMIT, browse_facets, practice_cards, study_extra_new


def _learner(request: Request) -> User:
    """The signed-in learner (every view here requires authentication)."""
    return cast(User, request.user)


class _LimitIn(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=20)


class ExtraNewApi(APIView):
    """New cards beyond today's new-card limit, shaped like the study queue (reviews go to ``reviews``)."""

    @extend_schema(
        parameters=[_LimitIn],
        responses={200: inline_serializer("ExtraNewOut", {"cards": QueueApi.QueueItemOut(many=True)})},
        operation_id="study_extra_new",
    )
    def get(self, request: Request) -> Response:
        p = _LimitIn(data=request.query_params)
        p.is_valid(raise_exception=True)
        items = study_extra_new(user=_learner(request), now=timezone.now(), limit=p.validated_data["limit"])
        return Response(
            {
                "cards": [
                    QueueApi.QueueItemOut(
                        {
                            "state": i.state,
                            "queue": i.queue,
                            "intervals": {
                                "1": i.intervals[1],
                                "2": i.intervals[2],
                                "3": i.intervals[3],
                                "4": i.intervals[4],
                            },
                        }
                    ).data
                    for i in items
                ]
            }
        )


class PracticeCardsApi(APIView):
    """Cards to practise without scheduling (nothing is recorded)."""

    class PracticeParams(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=20)
        deck = serializers.IntegerField(min_value=1, required=False)

    @extend_schema(
        parameters=[PracticeParams],
        responses={200: inline_serializer("PracticeCardsOut", {"cards": CardOut(many=True)})},
        operation_id="practice_cards",
    )
    def get(self, request: Request) -> Response:
        p = self.PracticeParams(data=request.query_params)
        p.is_valid(raise_exception=True)
        states = practice_cards(
            user=_learner(request),
            now=timezone.now(),
            limit=p.validated_data["limit"],
            deck=p.validated_data.get("deck"),
        )
        return Response({"cards": [CardOut(s.card).data for s in states]})


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
        return Response(browse_facets(user=_learner(request)))
