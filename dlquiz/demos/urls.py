"""The demonstration endpoints, mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from django.urls import path

from dlquiz.api import converters  # noqa: F401  (registers <id:...>)
from dlquiz.demos.apis import (
    DemoDetailApi,
    DemoListApi,
    DemoPredictionApi,
    DemoRunCancelApi,
    DemoRunCreateApi,
    DemoRunDetailApi,
    DemoRunListApi,
)

urlpatterns = [
    path("demos", DemoListApi.as_view(), name="demos"),
    path("demos/<slug:demo_id>", DemoDetailApi.as_view(), name="demo"),
    path("demos/<slug:demo_id>/runs", DemoRunCreateApi.as_view(), name="demo-runs-create"),
    path("demo-runs", DemoRunListApi.as_view(), name="demo-runs"),
    path("demo-runs/<id:run_id>", DemoRunDetailApi.as_view(), name="demo-run"),
    path("demo-runs/<id:run_id>/cancel", DemoRunCancelApi.as_view(), name="demo-run-cancel"),
    path("demo-runs/<id:run_id>/prediction", DemoPredictionApi.as_view(), name="demo-run-prediction"),
]
