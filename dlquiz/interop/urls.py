"""The Anki interop endpoints, mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from django.urls import path

from dlquiz.api import converters  # noqa: F401  (registers <id:...>)
from dlquiz.interop.apis import AnkiExportApi, AnkiImportCreateApi, AnkiImportDetailApi

urlpatterns = [
    path("anki/decks/<id:deck_id>/export", AnkiExportApi.as_view(), name="anki-export"),
    path("anki/imports", AnkiImportCreateApi.as_view(), name="anki-imports"),
    path("anki/imports/<id:import_id>", AnkiImportDetailApi.as_view(), name="anki-import"),
]
