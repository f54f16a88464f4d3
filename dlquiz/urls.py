from django.contrib import admin
from django.urls import include, path

from dlquiz.accounts.admin import admin_login
from dlquiz.reminders.views import unsubscribe

urlpatterns = [
    path("admin/login/", admin_login),  # the admin's own login view, behind the sign-in limits
    path("admin/", admin.site.urls),
    path("api/v1/", include("dlquiz.api.urls")),
    path("unsubscribe/<str:token>", unsubscribe, name="unsubscribe"),
    path("", include("dlquiz.web.urls")),  # last: it serves every other path
]

# Under /api/ a 404 (no such URL) and a 500 answer the API's error envelope, elsewhere Django's pages.
handler404 = "dlquiz.api.errors.not_found"
handler500 = "dlquiz.api.errors.server_error"
