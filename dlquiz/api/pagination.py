import re

from django.conf import settings
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE


class HistoryCursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering = "-id"

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's cursor, refused with a 400 when it was not one this API made: undecodable (DRF says 404) or
        with a position that is not a row id (DRF would pass it to the query, a 500)."""
        invalid = ValidationError({self.cursor_query_param: ["invalid cursor"]})
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        # the position is the text of the last row's id (DRF's stubs say int; it is the decoded string)
        if cursor is not None and cursor.position is not None:
            if not re.fullmatch(r"\d{1,18}", str(cursor.position)):
                raise invalid
        return cursor
