"""The sync endpoints, mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from django.urls import path

from dlquiz.sync.apis import SyncChangesApi, SyncReviewsApi

urlpatterns = [
    path("sync/reviews", SyncReviewsApi.as_view(), name="sync-reviews"),
    path("sync/changes", SyncChangesApi.as_view(), name="sync-changes"),
]
