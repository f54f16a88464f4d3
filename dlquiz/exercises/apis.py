from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

import engine
from dlquiz.api.auth import learner
from dlquiz.exercises.services import attempt_variant, exercise_answer, exercise_current


class PartOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(
        choices=["int", "real", "vector", "matrix", "shape", "set", "list", "choice"]
    )
    unit = serializers.CharField(allow_blank=True)
    hint = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField(), required=False)


class PartResultOut(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=["correct", "wrong", "unreadable", "missing"])
    correct = serializers.BooleanField()
    parsed = serializers.JSONField(allow_null=True)
    credit = serializers.FloatField()
    feedback = serializers.CharField()
    expected = serializers.JSONField(allow_null=True)


class ResultOut(serializers.Serializer):
    parts = PartResultOut(many=True)
    score = serializers.FloatField()
    readable = serializers.BooleanField()
    correct = serializers.BooleanField()
    mistake = inline_serializer(
        "MistakeOut", {"id": serializers.CharField(), "title": serializers.CharField()}, allow_null=True
    )
    solution = serializers.CharField(allow_blank=True)
    suggested_rating = serializers.IntegerField(allow_null=True)


class ExerciseOut(serializers.Serializer):
    attempt = serializers.IntegerField()
    family = serializers.CharField()
    title = serializers.CharField()
    prompt = serializers.CharField()
    parts = PartOut(many=True)
    result = ResultOut(allow_null=True)


class ExerciseApi(APIView):
    """GET: the variant of the card's current review. POST: grade answers to it (once)."""

    throttle_scope = "answer"

    def get_throttles(self):  # type: ignore[no-untyped-def]
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    class ExerciseAnswerInputSerializer(serializers.Serializer):
        attempt = serializers.IntegerField(min_value=1)
        answers = serializers.DictField(
            child=serializers.CharField(allow_blank=True, max_length=10_000, trim_whitespace=False)
        )

        def validate_answers(self, value: dict[str, str]) -> dict[str, str]:
            if len(value) > 20:
                raise serializers.ValidationError("too many answer parts")
            return value

    @extend_schema(responses={200: ExerciseOut}, operation_id="exercise_get")
    def get(self, request: Request, card_id: int) -> Response:
        attempt = exercise_current(user=learner(request), card_id=card_id)
        v = attempt_variant(attempt)
        return Response(
            {
                "attempt": attempt.pk,
                "family": v.family,
                "title": engine.get_family(v.family).title,
                "prompt": v.prompt,
                "parts": [p.to_dict() for p in v.parts],
                "result": attempt.result,
            }
        )

    @extend_schema(
        request=ExerciseAnswerInputSerializer, responses={200: ResultOut}, operation_id="exercise_answer"
    )
    def post(self, request: Request, card_id: int) -> Response:
        s = self.ExerciseAnswerInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        _, result = exercise_answer(
            user=learner(request),
            card_id=card_id,
            attempt_id=s.validated_data["attempt"],
            answers=s.validated_data["answers"],
        )
        return Response(result)
