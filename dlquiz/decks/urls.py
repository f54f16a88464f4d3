"""A learner's own decks and cards, mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from django.urls import path

from dlquiz.api import converters  # noqa: F401  (registers <id:...>)
from dlquiz.decks.apis import (
    NotesImportApi,
    OwnCardApi,
    OwnCardCheckApi,
    OwnCardCreateApi,
    OwnCardRetireApi,
    OwnDeckApi,
    OwnDeckListApi,
)

urlpatterns = [
    path("my/decks", OwnDeckListApi.as_view(), name="my-decks"),
    path("my/decks/<id:deck_id>", OwnDeckApi.as_view(), name="my-deck"),
    path("my/decks/<id:deck_id>/cards", OwnCardCreateApi.as_view(), name="my-deck-cards"),
    path("my/cards/check", OwnCardCheckApi.as_view(), name="my-cards-check"),
    path("my/cards/<id:card_id>", OwnCardApi.as_view(), name="my-card"),
    path("my/cards/<id:card_id>/retire", OwnCardRetireApi.as_view(retired=True), name="my-card-retire"),
    path("my/cards/<id:card_id>/restore", OwnCardRetireApi.as_view(retired=False), name="my-card-restore"),
    path("my/notes-import", NotesImportApi.as_view(), name="my-notes-import"),
]
