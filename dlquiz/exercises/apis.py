"""Exercises over HTTP: the variant of a study review (graded once) and practice variants (graded freely)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import engine
from dlquiz.api.auth import learner
from dlquiz.api.fields import IdField
from dlquiz.api.throttles import ScopedThrottle
from dlquiz.exercises.services import (
    attempt_variant,
    exercise_answer,
    exercise_current,
    practice_exercise_draw,
    practice_exercise_grade,
)

MAX_ANSWER_PARTS = 20


class AnswersField(serializers.DictField):
    """Answers by part name: each at most 10,000 characters (kept as typed), at most 20 parts."""

    def __init__(self, **kwargs: Any) -> None:
        child = serializers.CharField(allow_blank=True, max_length=10_000, trim_whitespace=False)
        super().__init__(child=child, **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        value = super().to_internal_value(data)
        if len(value) > MAX_ANSWER_PARTS:
            raise serializers.ValidationError("too many answer parts")
        return value


class PartOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(
        choices=["int", "real", "vector", "matrix", "shape", "set", "list", "choice"]
    )
    unit = serializers.CharField(allow_blank=True)
    hint = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField(), required=False)
    precision = inline_serializer(
        "PrecisionOut",
        {
            "mode": serializers.ChoiceField(choices=["exact", "sig", "dec"]),
            "digits": serializers.IntegerField(help_text="significant digits (sig) or decimals (dec)"),
            "fraction": serializers.BooleanField(help_text="a fraction such as 1/8 is accepted"),
            "percent": serializers.BooleanField(help_text="a percentage such as 12.5% is accepted"),
            "text": serializers.CharField(help_text="the statement the prompt makes (Chinese)"),
        },
    )


class PartResultOut(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["correct", "wrong", "imprecise", "unreadable", "missing"],
        help_text="imprecise: fewer digits than asked, right to those; like unreadable it has no verdict",
    )
    correct = serializers.BooleanField()
    parsed = serializers.JSONField(allow_null=True)
    credit = serializers.FloatField()
    feedback = serializers.CharField()
    expected = serializers.JSONField(allow_null=True)
    off = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        required=False,  # absent from results graded before it existed
        help_text="a wrong vector's or ordered list's elements that are off (0-based positions)",
    )


class ResultOut(serializers.Serializer):
    parts = PartResultOut(many=True)
    score = serializers.FloatField()
    readable = serializers.BooleanField()
    correct = serializers.BooleanField()
    mistake = inline_serializer(
        "MistakeOut", {"id": serializers.CharField(), "title": serializers.CharField()}, allow_null=True
    )
    mistakes = inline_serializer(
        "NamedMistakeOut",
        {"id": serializers.CharField(), "title": serializers.CharField()},
        many=True,
        required=False,  # absent from results graded before it existed (then: mistake alone)
        help_text="every known mistake that explains the answer (mistake is the first)",
    )
    near_miss = serializers.BooleanField(required=False, help_text="wrong, but more than half of it right")
    solution = serializers.CharField(allow_blank=True)
    suggested_rating = serializers.IntegerField(
        allow_null=True, help_text="study only: 3 Good when right, 2 Hard for a near miss, 1 Again"
    )


class ExerciseOut(serializers.Serializer):
    attempt = serializers.IntegerField()
    family = serializers.CharField()
    title = serializers.CharField()
    prompt = serializers.CharField()
    parts = PartOut(many=True)
    result = ResultOut(allow_null=True)


def variant_data(v: engine.Variant) -> dict[str, Any]:
    """What the learner sees of a variant (ExerciseOut's and PracticeExerciseOutputSerializer's fields)."""
    return {
        "family": v.family,
        "title": engine.get_family(v.family).title,
        "prompt": v.prompt,
        "parts": [p.to_dict() for p in v.parts],
    }


class ExerciseApi(APIView):
    """GET: the variant of the card's current review. POST: grade answers to it (once)."""

    throttle_scope = "answer"

    def get_throttles(self):  # type: ignore[no-untyped-def]
        return [ScopedThrottle()] if self.request.method == "POST" else []

    class ExerciseAnswerInputSerializer(serializers.Serializer):
        attempt = IdField()
        answers = AnswersField()

    @extend_schema(responses={200: ExerciseOut}, operation_id="exercise_get")
    def get(self, request: Request, card_id: int) -> Response:
        attempt = exercise_current(user=learner(request), card_id=card_id)
        return Response(
            {"attempt": attempt.pk, **variant_data(attempt_variant(attempt)), "result": attempt.result}
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


class PracticeExerciseApi(APIView):
    """A fresh variant of an exercise card for practice; answer it with ``practice/exercise/answer``."""

    class PracticeExerciseInputSerializer(serializers.Serializer):
        card = IdField()

    class PracticeExerciseOutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        family = serializers.CharField()
        title = serializers.CharField()
        prompt = serializers.CharField()
        parts = PartOut(many=True)

    @extend_schema(
        request=PracticeExerciseInputSerializer,
        responses={200: PracticeExerciseOutputSerializer},
        operation_id="practice_exercise_draw",
    )
    def post(self, request: Request) -> Response:
        s = self.PracticeExerciseInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        token, v = practice_exercise_draw(user=learner(request), card_id=s.validated_data["card"])
        return Response(self.PracticeExerciseOutputSerializer({"token": token, **variant_data(v)}).data)


class PracticeAnswerApi(APIView):
    """Grade answers to a practice variant (as often as asked; nothing is recorded)."""

    throttle_classes = [ScopedThrottle]
    throttle_scope = "answer"

    class PracticeAnswerInputSerializer(serializers.Serializer):
        token = serializers.CharField(max_length=4000)
        answers = AnswersField()

    @extend_schema(
        request=PracticeAnswerInputSerializer,
        responses={200: ResultOut},
        operation_id="practice_exercise_answer",
    )
    def post(self, request: Request) -> Response:
        s = self.PracticeAnswerInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        return Response(
            practice_exercise_grade(user=learner(request), token=d["token"], answers=d["answers"])
        )
