"""The exercise endpoints, mounted under ``/api/v1/`` by ``dlquiz/api/urls.py``."""

from django.urls import path

from dlquiz.api import converters  # noqa: F401  (registers <id:...>)
from dlquiz.exercises.apis import ExerciseApi, PracticeAnswerApi, PracticeExerciseApi

urlpatterns = [
    path("cards/<id:card_id>/exercise", ExerciseApi.as_view(), name="card-exercise"),
    path("practice/exercise", PracticeExerciseApi.as_view(), name="practice-exercise"),
    path("practice/exercise/answer", PracticeAnswerApi.as_view(), name="practice-exercise-answer"),
]
