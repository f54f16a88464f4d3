"""Demonstrations over HTTP (the contract: docs/api.md, "Demonstrations"): the catalogue, starting a run
(shared between identical requests), a run's status and result, the learner's history, cancel and the
prediction. Mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.api.auth import learner
from dlquiz.api.pagination import Pages
from dlquiz.demos.models import DemoRequest, DemoRun
from dlquiz.demos.selectors import demo_detail, demo_list, demo_request_get, demo_request_history
from dlquiz.demos.services import demo_or_404, demo_prediction_set, demo_run_cancel, demo_run_request
from engine.demos.base import MAX_SEED


class SettingOut(serializers.Serializer):
    """One parameter of a demonstration (the engine's ``Setting.to_dict()``)."""

    kind = serializers.ChoiceField(choices=["int", "real", "choice"])
    low = serializers.FloatField(required=False, help_text="int and real: the smallest value")
    high = serializers.FloatField(required=False, help_text="int and real: the largest value")
    choices = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text="choice: the values"
    )
    default = serializers.JSONField()
    label = serializers.CharField()  # type: ignore[assignment]


class QuestionOut(serializers.Serializer):
    question = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())


class DemoTopicOut(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField(allow_blank=True)


class DemoOut(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    title_en = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    topics = DemoTopicOut(many=True)
    version = serializers.IntegerField()
    schema = serializers.DictField(child=SettingOut())
    defaults = serializers.DictField(child=serializers.JSONField())
    question = QuestionOut(help_text="the prediction question for the default parameters")


class DemoCardOut(serializers.Serializer):
    id = serializers.IntegerField()
    front = serializers.CharField()
    deck = serializers.IntegerField()
    deck_name = serializers.CharField()
    kind = serializers.CharField()


class DemoDetailOut(DemoOut):
    cards = DemoCardOut(many=True, help_text="the learner's cards sharing a topic (at most 20, deck order)")


class FigureOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)


class ResultPredictionOut(QuestionOut):
    answer = serializers.IntegerField(help_text="index of the right choice in this run")
    why = serializers.CharField()


class DemoResultOut(serializers.Serializer):
    """The engine's ``DemoResult.to_dict()``: plot series (JSON data, no images), figures, explanation."""

    demo = serializers.CharField()
    version = serializers.IntegerField()
    params = serializers.DictField(child=serializers.JSONField())
    seed = serializers.IntegerField()
    device = serializers.CharField()
    series = serializers.DictField(child=serializers.JSONField())
    figures = FigureOut(many=True)
    explanation = serializers.CharField()
    prediction = ResultPredictionOut()


class PredictionOut(serializers.Serializer):
    choice = serializers.IntegerField(allow_null=True)
    right = serializers.BooleanField(
        allow_null=True, help_text="null until both the choice and the result exist"
    )


class DemoRunOut(serializers.Serializer):
    id = serializers.IntegerField()
    demo = serializers.CharField()
    version = serializers.IntegerField()
    params = serializers.DictField(child=serializers.JSONField())
    seed = serializers.IntegerField()
    status = serializers.ChoiceField(choices=DemoRun.Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    error = serializers.CharField(allow_blank=True)
    result = DemoResultOut(allow_null=True)
    question = QuestionOut()
    prediction = PredictionOut()
    created_at = serializers.DateTimeField()
    requested_at = serializers.DateTimeField(help_text="when this learner last asked for the run")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


def _iso(value: Any) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


def run_data(request: DemoRequest) -> dict[str, Any]:
    """A run as one learner sees it (the shared computation, their cancel and their prediction), without its
    ``result``: :func:`run_json` adds the stored result text."""
    run = request.run
    status_ = run.status
    if request.cancelled and status_ != DemoRun.Status.DONE:
        status_ = DemoRun.Status.CANCELLED
    right = None
    if request.prediction is not None and run.status == DemoRun.Status.DONE and run.answer is not None:
        right = request.prediction == run.answer
    return {
        "id": run.pk,
        "demo": run.demo,
        "version": run.version,
        "params": run.params,
        "seed": run.seed,
        "status": status_,
        "progress": run.progress,
        "error": run.error,
        "question": demo_or_404(run.demo).question(run.params).to_dict(),
        "prediction": {"choice": request.prediction, "right": right},
        "created_at": _iso(run.created_at),
        "requested_at": _iso(request.requested_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
    }


def _dumps(data: Any) -> str:
    """JSON as DRF's renderer writes it here (UNICODE_JSON, COMPACT_JSON)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def run_json(request: DemoRequest) -> str:
    """A run (DemoRunOut) as JSON text: :func:`run_data` with the result's stored text spliced in as it is,
    so a finished run, which every learner sharing it polls, is never parsed and encoded again."""
    run = request.run
    result = run.result_json if run.status == DemoRun.Status.DONE and run.result_json else "null"
    return _dumps(run_data(request))[:-1] + ',"result":' + result + "}"


def run_response(request: DemoRequest, status_code: int = 200) -> HttpResponse:
    return HttpResponse(run_json(request), status=status_code, content_type="application/json")


class DemoListApi(APIView):
    @extend_schema(
        responses={200: inline_serializer("DemoListOut", {"results": DemoOut(many=True)})},
        operation_id="demos_list",
    )
    def get(self, request: Request) -> Response:
        return Response({"results": demo_list()})


class DemoDetailApi(APIView):
    @extend_schema(responses={200: DemoDetailOut}, operation_id="demos_retrieve")
    def get(self, request: Request, demo_id: str) -> Response:
        return Response(demo_detail(user=learner(request), demo_id=demo_id))


class DemoRunCreateApi(APIView):
    """Start a run, or join the identical one (same demonstration, version, parameters and seed): 202 with
    the run, which may already be ``done``. 400 ``invalid_params`` when a parameter is refused (nothing is
    queued); 429 ``too_many_runs`` when the learner already has ``DEMO_MAX_QUEUED`` runs queued or running."""

    class DemoRunInputSerializer(serializers.Serializer):
        params = serializers.DictField(
            child=serializers.JSONField(), required=False, default=dict, help_text="missing ones: defaults"
        )
        seed = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_SEED)

    @extend_schema(
        request=DemoRunInputSerializer, responses={202: DemoRunOut}, operation_id="demo_runs_create"
    )
    def post(self, request: Request, demo_id: str) -> HttpResponse:
        s = self.DemoRunInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        req = demo_run_request(
            user=learner(request),
            demo_id=demo_id,
            params=s.validated_data["params"],
            seed=s.validated_data["seed"],
        )
        return run_response(req, status.HTTP_202_ACCEPTED)


class DemoRunPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DemoRunOut(many=True)


class DemoRunListApi(APIView):
    class PageParams(serializers.Serializer):
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(parameters=[PageParams], responses={200: DemoRunPage}, operation_id="demo_runs_list")
    def get(self, request: Request) -> HttpResponse:
        self.PageParams(data=request.query_params).is_valid(raise_exception=True)
        paginator = Pages()
        page = paginator.paginate_queryset(demo_request_history(user=learner(request)), request, view=self)
        assert paginator.page is not None
        head = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
        }
        runs = ",".join(run_json(r) for r in page or [])
        return HttpResponse(_dumps(head)[:-1] + ',"results":[' + runs + "]}", content_type="application/json")


class DemoRunDetailApi(APIView):
    @extend_schema(responses={200: DemoRunOut}, operation_id="demo_runs_retrieve")
    def get(self, request: Request, run_id: int) -> HttpResponse:
        return run_response(demo_request_get(user=learner(request), run_id=run_id))


class DemoRunCancelApi(APIView):
    """Cancel the learner's request; the computation stops when nobody else waits for it. 409 when the run
    has already ended."""

    @extend_schema(request=None, responses={200: DemoRunOut}, operation_id="demo_runs_cancel")
    def post(self, request: Request, run_id: int) -> HttpResponse:
        return run_response(demo_run_cancel(user=learner(request), run_id=run_id))


class DemoPredictionApi(APIView):
    """The learner's answer to the run's prediction question (once); graded when the result exists."""

    class PredictionInputSerializer(serializers.Serializer):
        choice = serializers.IntegerField(min_value=0, max_value=1000)

    @extend_schema(
        request=PredictionInputSerializer, responses={200: DemoRunOut}, operation_id="demo_runs_predict"
    )
    def post(self, request: Request, run_id: int) -> HttpResponse:
        s = self.PredictionInputSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        req = demo_prediction_set(user=learner(request), run_id=run_id, choice=s.validated_data["choice"])
        return run_response(req)
