"""The study endpoints, mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from django.urls import path

from dlquiz.api import converters  # noqa: F401  (registers <id:...>)
from dlquiz.study.apis import (
    CARD_ACTIONS,
    BrowseFacetsApi,
    CardActionApi,
    CardDetailApi,
    CardHistoryApi,
    CardListApi,
    DashboardApi,
    DeckListApi,
    ExtraNewApi,
    PingApi,
    PracticeCardsApi,
    QueueApi,
    ReviewCreateApi,
    ReviewUndoApi,
    SettingsApi,
)

urlpatterns = [
    path("ping", PingApi.as_view(), name="ping"),
    path("decks", DeckListApi.as_view(), name="decks"),
    path("study/queue", QueueApi.as_view(), name="queue"),
    path("study/extra-new", ExtraNewApi.as_view(), name="study-extra-new"),
    path("reviews", ReviewCreateApi.as_view(), name="reviews"),
    path("reviews/undo", ReviewUndoApi.as_view(), name="reviews-undo"),
    path("settings", SettingsApi.as_view(), name="settings"),
    path("dashboard", DashboardApi.as_view(), name="dashboard"),
    path("cards", CardListApi.as_view(), name="cards"),
    path("cards/<id:card_id>", CardDetailApi.as_view(), name="card"),
    path("cards/<id:card_id>/history", CardHistoryApi.as_view(), name="card-history"),
    *(
        path(f"cards/<id:card_id>/{action}", CardActionApi.as_view(action_name=action), name=f"card-{action}")
        for action in CARD_ACTIONS
    ),
    path("browse/facets", BrowseFacetsApi.as_view(), name="browse-facets"),
    path("practice/cards", PracticeCardsApi.as_view(), name="practice-cards"),
]
