"""FSRS optimisation endpoints, mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from django.urls import path

from dlquiz.api import converters  # noqa: F401  (registers <id:...>)
from dlquiz.scheduler.apis import (
    OptimizeApi,
    ParametersApi,
    RescheduleApi,
    RetentionAdviceApi,
    ReviewLogImportApi,
    RunDetailApi,
    RunLatestApi,
)

urlpatterns = [
    path("scheduler/parameters", ParametersApi.as_view(), name="scheduler-parameters"),
    path("scheduler/optimize", OptimizeApi.as_view(), name="scheduler-optimize"),
    path("scheduler/runs/latest", RunLatestApi.as_view(), name="scheduler-run-latest"),
    path("scheduler/runs/<id:run_id>", RunDetailApi.as_view(), name="scheduler-run"),
    path("scheduler/reschedule", RescheduleApi.as_view(), name="scheduler-reschedule"),
    path("scheduler/review-log", ReviewLogImportApi.as_view(), name="scheduler-review-log"),
    path("scheduler/retention-advice", RetentionAdviceApi.as_view(), name="scheduler-retention-advice"),
]
