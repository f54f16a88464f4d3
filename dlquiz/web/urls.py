"""The single-page app: every path that is not the API, the admin or a static file."""

from django.urls import re_path

from dlquiz.web.views import spa

urlpatterns = [
    re_path(r"^(?!api/|admin/|static/).*$", spa, name="spa"),
]
