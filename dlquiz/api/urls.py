"""``/api/v1/``: the schema, then each app's endpoints from its own ``urls.py`` (views in its ``apis.py``)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("", include("dlquiz.accounts.urls")),
    path("", include("dlquiz.study.urls")),
    path("", include("dlquiz.exercises.urls")),
    path("", include("dlquiz.decks.urls")),
    path("", include("dlquiz.scheduler.urls")),
    path("", include("dlquiz.interop.urls")),
    path("", include("dlquiz.demos.urls")),
]
