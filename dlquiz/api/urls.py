from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from dlquiz.accounts.apis import LoginApi, LogoutApi, MeApi, PasswordApi, SignupApi, TokenApi
from dlquiz.study.apis import (
    CardActionApi,
    DashboardApi,
    DeckListApi,
    PingApi,
    QueueApi,
    ReviewCreateApi,
    ReviewUndoApi,
    SettingsApi,
)
from dlquiz.study.browse_apis import CardDetailApi, CardHistoryApi, CardListApi
from dlquiz.web.apis import (
    BrowseFacetsApi,
    ExtraNewApi,
    PracticeCardsApi,
)

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("auth/signup", SignupApi.as_view(), name="signup"),
    path("auth/login", LoginApi.as_view(), name="login"),
    path("auth/logout", LogoutApi.as_view(), name="logout"),
    path("auth/token", TokenApi.as_view(), name="token"),
    path("auth/password", PasswordApi.as_view(), name="password"),
    path("me", MeApi.as_view(), name="me"),
    path("ping", PingApi.as_view(), name="ping"),
    path("decks", DeckListApi.as_view(), name="decks"),
    path("study/queue", QueueApi.as_view(), name="queue"),
    path("reviews", ReviewCreateApi.as_view(), name="reviews"),
    path("reviews/undo", ReviewUndoApi.as_view(), name="reviews-undo"),
    path("settings", SettingsApi.as_view(), name="settings"),
    path("dashboard", DashboardApi.as_view(), name="dashboard"),
    path("cards", CardListApi.as_view(), name="cards"),
    path("cards/<int:card_id>", CardDetailApi.as_view(), name="card"),
    path("cards/<int:card_id>/history", CardHistoryApi.as_view(), name="card-history"),
    path("", include("dlquiz.exercises.urls")),
]
for _action in ("suspend", "unsuspend", "bury", "reset"):
    urlpatterns.append(
        path(
            f"cards/<int:card_id>/{_action}",
            CardActionApi.as_view(action_name=_action),
            name=f"card-{_action}",
        )
    )

# The single-page app's extra endpoints (dlquiz/web/apis.py).
urlpatterns += [
    path("study/extra-new", ExtraNewApi.as_view(), name="study-extra-new"),
    path("practice/cards", PracticeCardsApi.as_view(), name="practice-cards"),
    path("browse/facets", BrowseFacetsApi.as_view(), name="browse-facets"),
]
