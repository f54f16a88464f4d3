"""``/api/v1/``: the schema, then each app's endpoints from its own ``urls.py`` (views in its ``apis.py``)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar (no CDN), its start-up script a file: it runs under our CSP
    path(
        "docs",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/docs.html"),
        name="docs",
    ),
    path("", include("dlquiz.accounts.urls")),
    path("", include("dlquiz.study.urls")),
    path("", include("dlquiz.exercises.urls")),
    path("", include("dlquiz.sync.urls")),
    path("", include("dlquiz.decks.urls")),
    path("", include("dlquiz.scheduler.urls")),
    path("", include("dlquiz.interop.urls")),
    path("", include("dlquiz.demos.urls")),
]
