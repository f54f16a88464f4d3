"""FSRS optimisation endpoints: the parameters and their history, starting a run and following it, importing
an Anki review log, retention advice. Mounted under ``/api/v1/scheduler/`` by ``scheduler/urls.py``."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.api.auth import learner
from dlquiz.errors import ServiceError
from dlquiz.scheduler.models import OptimizeRun
from dlquiz.scheduler.selectors import optimize_run_get, parameters_history, retention_advice
from dlquiz.scheduler.services import optimize_request, reschedule_request, review_log_import

MAX_LOG_BYTES = 20 * 1_048_576


class OptimizeMetricsOut(serializers.Serializer):
    reviews = serializers.IntegerField()
    log_loss = serializers.FloatField()
    rmse_bins = serializers.FloatField()
    auc = serializers.FloatField(allow_null=True)
    calibration = serializers.ListField(
        child=serializers.DictField(child=serializers.FloatField()),
        help_text="per bin of predicted recall: predicted (mean), observed (mean), count",
    )


class OptimizeRunOut(serializers.Serializer):
    id = serializers.IntegerField()
    trigger = serializers.ChoiceField(choices=OptimizeRun.Trigger.choices)
    status = serializers.ChoiceField(choices=OptimizeRun.Status.choices)
    stage = serializers.ChoiceField(choices=OptimizeRun.Stage.choices)
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    reviews_used = serializers.IntegerField()
    split_at = serializers.DateTimeField(allow_null=True)
    parameters_before = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    parameters_fitted = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    parameters_after = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    metrics_before = OptimizeMetricsOut(allow_null=True)
    metrics_after = OptimizeMetricsOut(allow_null=True)
    adopted = serializers.BooleanField()
    reason = serializers.CharField(
        help_text="in English; the web app words reason_code in the learner's language"
    )
    reason_code = serializers.ChoiceField(choices=OptimizeRun.Reason.choices, allow_blank=True)
    reason_args = serializers.DictField(help_text="the values the reason names, by reason_code (models.py)")
    cards_rescheduled = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_s = serializers.FloatField(allow_null=True)


class ParametersApi(APIView):
    class ParametersOut(serializers.Serializer):
        parameters = serializers.ListField(child=serializers.FloatField(), min_length=21, max_length=21)
        is_default = serializers.BooleanField()
        history = OptimizeRunOut(many=True)

    @extend_schema(responses={200: ParametersOut}, operation_id="scheduler_parameters")
    def get(self, request: Request) -> Response:
        return Response(self.ParametersOut(parameters_history(user=learner(request))).data)


class OptimizeApi(APIView):
    """Start an optimisation run (at most one a day from here); a run already going is returned (200)."""

    @extend_schema(
        request=None, responses={202: OptimizeRunOut, 200: OptimizeRunOut}, operation_id="scheduler_optimize"
    )
    def post(self, request: Request) -> Response:
        user = learner(request)
        run = optimize_request(user=user, trigger=OptimizeRun.Trigger.BUTTON, now=timezone.now())
        fresh = run.status == OptimizeRun.Status.QUEUED and run.started_at is None
        return Response(
            OptimizeRunOut(run).data, status=status.HTTP_202_ACCEPTED if fresh else status.HTTP_200_OK
        )


class RunLatestApi(APIView):
    @extend_schema(responses={200: OptimizeRunOut}, operation_id="scheduler_run_latest")
    def get(self, request: Request) -> Response:
        return Response(OptimizeRunOut(optimize_run_get(user=learner(request))).data)


class RunDetailApi(APIView):
    @extend_schema(responses={200: OptimizeRunOut}, operation_id="scheduler_run_get")
    def get(self, request: Request, run_id: int) -> Response:
        return Response(OptimizeRunOut(optimize_run_get(user=learner(request), run_id=run_id)).data)


class ReviewLogImportApi(APIView):
    """Upload an Anki review log (CSV: card_id,review_rating,review_time,review_duration)."""

    parser_classes = [MultiPartParser]

    class ReviewLogIn(serializers.Serializer):
        file = serializers.FileField()

    class ReviewLogImportOut(serializers.Serializer):
        deck = serializers.IntegerField(source="deck.id", allow_null=True)
        rows = serializers.IntegerField()
        imported = serializers.IntegerField()
        already = serializers.IntegerField()
        cards_created = serializers.IntegerField()
        cards = serializers.IntegerField()

    @extend_schema(
        request={"multipart/form-data": ReviewLogIn},
        responses={201: ReviewLogImportOut},
        operation_id="scheduler_import_log",
    )
    def post(self, request: Request) -> Response:
        s = self.ReviewLogIn(data=request.data)
        s.is_valid(raise_exception=True)
        upload = s.validated_data["file"]
        if upload.size > MAX_LOG_BYTES:
            raise ServiceError(
                "文件太大 / the file is too large", fields={"file": [f"at most {MAX_LOG_BYTES} bytes"]}
            )
        result = review_log_import(
            user=learner(request), name=upload.name or "upload.csv", data=upload.read(), now=timezone.now()
        )
        return Response(self.ReviewLogImportOut(result).data, status=status.HTTP_201_CREATED)


class RetentionAdviceApi(APIView):
    class RetentionAdviceOut(serializers.Serializer):
        desired_retention = serializers.FloatField(help_text="the learner's current setting")
        points = serializers.ListField(
            child=serializers.DictField(child=serializers.FloatField()),
            help_text="per desired retention: retention, reviews_per_day, minutes_per_day, remembered",
        )

    @extend_schema(responses={200: RetentionAdviceOut}, operation_id="scheduler_retention_advice")
    def get(self, request: Request) -> Response:
        from dlquiz.study.selectors import settings_get

        user = learner(request)
        points = retention_advice(user=user)
        return Response({"desired_retention": settings_get(user=user).desired_retention, "points": points})


class RescheduleApi(APIView):
    """Reschedule every card from its log with the settings as they are now (offered after the desired
    retention changes); runs on the optimize queue."""

    class RescheduleOut(serializers.Serializer):
        queued = serializers.BooleanField()

    @extend_schema(request=None, responses={202: RescheduleOut}, operation_id="scheduler_reschedule")
    def post(self, request: Request) -> Response:
        reschedule_request(user=learner(request))
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
