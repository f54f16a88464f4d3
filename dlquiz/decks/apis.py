"""A learner's own decks and cards over HTTP: create, rename, list; create, edit, retire and restore cards;
check a card without saving it (the editor's live messages); import Markdown notes (preview, then create).
Mounted under ``/api/v1/my/`` by ``decks/urls.py``. Another learner's deck or card is a 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.api.auth import learner
from dlquiz.api.throttles import ScopedThrottle
from dlquiz.decks.checks import CardProblem
from dlquiz.decks.models import Card, Deck
from dlquiz.decks.own import (
    MAX_DECK_NAME,
    MAX_TEXT,
    MAX_WORDS,
    OWN_KINDS,
    CardInput,
    own_card_check,
    own_card_create,
    own_card_get,
    own_card_retire,
    own_card_update,
    own_deck_create,
    own_deck_get,
    own_deck_list,
    own_deck_rename,
    own_notes_import,
)
from dlquiz.decks.services import NotesImportResult

MAX_NOTE_FILES = 20
MAX_NOTE_CHARS = 1_000_000  # the JSON body limit (API_MAX_BODY_BYTES) bounds the sum anyway


class OwnDeckOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    active = serializers.IntegerField(help_text="cards not retired")
    retired = serializers.IntegerField(source="retired_count", help_text="retired cards")
    source = serializers.CharField()  # type: ignore[assignment]
    created_at = serializers.DateTimeField()


class OwnCardOut(serializers.Serializer):
    id = serializers.IntegerField()
    deck = serializers.IntegerField(source="deck_id")
    kind = serializers.ChoiceField(choices=[k.value for k in Card.Kind])
    front = serializers.CharField()
    back = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    topics = serializers.ListField(child=serializers.CharField())
    family = serializers.CharField()
    params = serializers.DictField()
    retired = serializers.BooleanField()
    draft = serializers.BooleanField(help_text="imported from notes and not edited since")
    updated_at = serializers.DateTimeField()


class ProblemOut(serializers.Serializer):
    field = serializers.CharField(help_text='the field the problem is in ("" : the card as a whole)')
    message = serializers.CharField()
    error = serializers.BooleanField(help_text="false: a warning (the card can still be saved)")


class DeckNameIn(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_DECK_NAME)


def _words() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=MAX_WORDS, required=False
    )


class CardIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OWN_KINDS)
    front = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False)
    back = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False, required=False)
    tags = _words()
    topics = _words()
    family = serializers.CharField(max_length=64, allow_blank=True, required=False)
    params = serializers.DictField(required=False, help_text="narrows the exercise family's parameters")


class CardPatchIn(CardIn):
    kind = serializers.ChoiceField(choices=OWN_KINDS, required=False)
    front = serializers.CharField(
        max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False, required=False
    )


def _card_input(data: dict[str, Any]) -> CardInput:
    return CardInput(
        kind=data["kind"],
        front=data["front"],
        back=data.get("back", ""),
        tags=tuple(data.get("tags", ())),
        topics=tuple(data.get("topics", ())),
        family=data.get("family", ""),
        params=dict(data.get("params", {})),
    )


def _problems(problems: list[CardProblem]) -> list[dict[str, Any]]:
    return [{"field": p.field, "message": p.message, "error": p.error} for p in problems]


def _deck_data(deck: Deck) -> dict[str, Any]:
    return dict(OwnDeckOut(deck).data)


class _ContentWriteThrottled:
    """Writes and checks of a learner's cards start KaTeX (a node process) for every formula: limited per
    learner by ``THROTTLE_CONTENT`` (the editor checks on each pause in typing, well below it)."""

    throttle_scope = "content"

    def get_throttles(self):  # type: ignore[no-untyped-def]
        method = self.request.method  # type: ignore[attr-defined]
        return [ScopedThrottle()] if method in ("POST", "PATCH", "PUT") else []


class OwnDeckListApi(APIView):
    @extend_schema(responses={200: OwnDeckOut(many=True)}, operation_id="my_decks_list")
    def get(self, request: Request) -> Response:
        return Response(OwnDeckOut(own_deck_list(user=learner(request)), many=True).data)

    @extend_schema(request=DeckNameIn, responses={201: OwnDeckOut}, operation_id="my_decks_create")
    def post(self, request: Request) -> Response:
        s = DeckNameIn(data=request.data)
        s.is_valid(raise_exception=True)
        deck = own_deck_create(user=learner(request), name=s.validated_data["name"])
        return Response(_deck_data(deck), status=status.HTTP_201_CREATED)


OwnDeckDetailOut = inline_serializer("OwnDeckDetail", {"deck": OwnDeckOut(), "cards": OwnCardOut(many=True)})


class OwnDeckApi(APIView):
    @extend_schema(responses={200: OwnDeckDetailOut}, operation_id="my_decks_retrieve")
    def get(self, request: Request, deck_id: int) -> Response:
        deck = own_deck_get(user=learner(request), deck_id=deck_id)
        cards = Card.objects.filter(deck=deck).order_by("retired", "position", "id")
        return Response({"deck": _deck_data(deck), "cards": OwnCardOut(cards, many=True).data})

    @extend_schema(request=DeckNameIn, responses={200: OwnDeckOut}, operation_id="my_decks_rename")
    def patch(self, request: Request, deck_id: int) -> Response:
        s = DeckNameIn(data=request.data)
        s.is_valid(raise_exception=True)
        user = learner(request)
        own_deck_rename(user=user, deck_id=deck_id, name=s.validated_data["name"])
        return Response(_deck_data(own_deck_get(user=user, deck_id=deck_id)))


class OwnCardCreateApi(_ContentWriteThrottled, APIView):
    """A new card in one of the learner's decks. An invalid card is a 400 whose ``fields`` name the
    fields (``front``, ``back``, ``topics``, ``params``...) with check_content's messages."""

    @extend_schema(request=CardIn, responses={201: OwnCardOut}, operation_id="my_cards_create")
    def post(self, request: Request, deck_id: int) -> Response:
        s = CardIn(data=request.data)
        s.is_valid(raise_exception=True)
        card = own_card_create(user=learner(request), deck_id=deck_id, data=_card_input(s.validated_data))
        return Response(OwnCardOut(card).data, status=status.HTTP_201_CREATED)


class OwnCardCheckApi(_ContentWriteThrottled, APIView):
    """The problems of a card as written, without saving it (the editor shows them next to the fields)."""

    @extend_schema(
        request=CardIn,
        responses={200: inline_serializer("CardCheckOut", {"problems": ProblemOut(many=True)})},
        operation_id="my_cards_check",
    )
    def post(self, request: Request) -> Response:
        s = CardIn(data=request.data)
        s.is_valid(raise_exception=True)
        return Response({"problems": _problems(own_card_check(data=_card_input(s.validated_data)))})


class OwnCardApi(_ContentWriteThrottled, APIView):
    @extend_schema(responses={200: OwnCardOut}, operation_id="my_cards_retrieve")
    def get(self, request: Request, card_id: int) -> Response:
        return Response(OwnCardOut(own_card_get(user=learner(request), card_id=card_id)).data)

    @extend_schema(request=CardPatchIn, responses={200: OwnCardOut}, operation_id="my_cards_update")
    def patch(self, request: Request, card_id: int) -> Response:
        s = CardPatchIn(data=request.data)
        s.is_valid(raise_exception=True)
        card = own_card_update(user=learner(request), card_id=card_id, changes=dict(s.validated_data))
        return Response(OwnCardOut(card).data)


class OwnCardRetireApi(APIView):
    """retire (the card leaves the study queue; its reviews stay) or restore."""

    retired = True  # set by the URL

    @extend_schema(request=None, responses={200: OwnCardOut})
    def post(self, request: Request, card_id: int) -> Response:
        card = own_card_retire(user=learner(request), card_id=card_id, retired=self.retired)
        return Response(OwnCardOut(card).data)


class NoteFileIn(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    text = serializers.CharField(max_length=MAX_NOTE_CHARS, allow_blank=True, trim_whitespace=False)


class NotesImportIn(serializers.Serializer):
    deck_name = serializers.CharField(max_length=MAX_DECK_NAME)
    files = NoteFileIn(many=True, max_length=MAX_NOTE_FILES, min_length=1)  # type: ignore[call-arg]
    dry_run = serializers.BooleanField(
        default=True, help_text="true: only the preview of the cards, nothing written"
    )


class PlannedCardOut(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField()
    front = serializers.CharField()
    back = serializers.CharField()
    action = serializers.ChoiceField(choices=["create", "update", "unchanged"])


NotesImportOut = inline_serializer(
    "NotesImportOut",
    {
        "deck": serializers.IntegerField(
            allow_null=True, help_text="the deck (null: a preview of a new deck)"
        ),
        "dry_run": serializers.BooleanField(),
        "cards": PlannedCardOut(many=True),
        "retired": serializers.IntegerField(help_text="cards of earlier imports of these files now gone"),
        "summary": serializers.CharField(),
    },
)


class NotesImportApi(_ContentWriteThrottled, APIView):
    """Markdown notes into draft cards of the learner's deck ``deck_name`` (created if needed): first with
    ``dry_run`` for the preview, then without to create them. Files are sent as text (UTF-8)."""

    @extend_schema(request=NotesImportIn, responses={200: NotesImportOut}, operation_id="my_notes_import")
    def post(self, request: Request) -> Response:
        s = NotesImportIn(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        result: NotesImportResult = own_notes_import(
            user=learner(request),
            deck_name=d["deck_name"],
            files=[(f["name"], f["text"].encode("utf-8")) for f in d["files"]],
            dry_run=d["dry_run"],
        )
        return Response(
            {
                "deck": result.deck.pk if result.deck is not None else None,
                "dry_run": result.dry_run,
                "cards": [
                    {"file": c.file, "line": c.line, "front": c.front, "back": c.back, "action": c.action}
                    for c in result.cards
                ],
                "retired": len(result.retired),
                "summary": result.summary(),
            }
        )
