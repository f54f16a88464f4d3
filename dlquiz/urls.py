from django.contrib import admin
from django.urls import include, path, re_path

from dlquiz.reminders.views import unsubscribe
from dlquiz.web.views import spa

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("dlquiz.api.urls")),
    path("unsubscribe/<str:token>", unsubscribe, name="unsubscribe"),
    re_path(r"^(?!api/|admin/|static/).*$", spa, name="spa"),
]
