"""Anki interop endpoints: a deck as an ``.apkg`` download, an ``.apkg`` upload (queued import) and the
import's progress. Mounted under ``/api/v1/`` by ``interop/urls.py``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dlquiz.api.auth import learner
from dlquiz.api.parsers import BodyTooLarge
from dlquiz.interop.models import AnkiImport
from dlquiz.interop.selectors import anki_export, anki_import_get
from dlquiz.interop.services import anki_import_start

#: Room for the multipart framing and the deck name around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


class UploadParser(parsers.MultiPartParser):
    """DRF's multipart parser behind the upload limit: a declared length over it is a 413 before the body
    is read (the file itself is checked again by the service)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > settings.ANKI_IMPORT_MAX_BYTES + _MULTIPART_OVERHEAD:
            raise BodyTooLarge()
        return super().parse(stream, media_type, parser_context)


class AnyAccept(BaseContentNegotiation):
    """The download answers whatever ``Accept`` says (``application/octet-stream``, ``*/*``...): its
    success is the file itself; an error is the JSON envelope like everywhere else."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class ExportParams(serializers.Serializer):
    scheduling = serializers.BooleanField(
        required=False, default=False, help_text="include the learner's card states and review log"
    )


class AnkiExportApi(APIView):
    content_negotiation_class = AnyAccept

    @extend_schema(
        parameters=[ExportParams],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="the deck as an Anki package (`.apkg`), as an attachment"
            )
        },
        operation_id="anki_export",
    )
    def get(self, request: Request, deck_id: int) -> HttpResponse:
        params = ExportParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        export = anki_export(
            user=learner(request),
            deck_id=deck_id,
            scheduling=params.validated_data["scheduling"],
            now=timezone.now(),
        )
        response = HttpResponse(export.data, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
        return response


class ImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="an .apkg exported by Anki (2.0, 2.1 legacy or 2.1.50+)")
    deck_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="your deck to import into (default: the package's deck)",
    )


class ImportOut(serializers.ModelSerializer):
    deck = serializers.IntegerField(source="deck_id", allow_null=True, help_text="your deck, once known")
    notes = serializers.ListField(child=serializers.CharField(), help_text="what was skipped, and why")

    class Meta:
        model = AnkiImport
        fields = [
            "id",
            "file_name",
            "deck_name",
            "deck",
            "status",
            "progress",
            "cards_created",
            "cards_updated",
            "reviews_imported",
            "reviews_skipped",
            "notes",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class AnkiImportCreateApi(APIView):
    parser_classes = [UploadParser]

    @extend_schema(
        request={"multipart/form-data": ImportIn},
        responses={202: ImportOut},
        operation_id="anki_import_create",
    )
    def post(self, request: Request) -> Response:
        data = ImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > settings.ANKI_IMPORT_MAX_BYTES:
            raise BodyTooLarge()
        row = anki_import_start(
            user=learner(request),
            file_name=upload.name or "deck.apkg",
            data=upload.read(),
            deck_name=data.validated_data.get("deck_name", ""),
        )
        return Response(ImportOut(row).data, status=status.HTTP_202_ACCEPTED)


class AnkiImportDetailApi(APIView):
    @extend_schema(responses={200: ImportOut}, operation_id="anki_import_get")
    def get(self, request: Request, import_id: int) -> Response:
        return Response(ImportOut(anki_import_get(user=learner(request), import_id=import_id)).data)
