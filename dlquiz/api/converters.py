"""The ``<id:...>`` path converter: a row id, at most the largest 64-bit integer.

Django's ``<int:...>`` takes any number of digits; an id past 2**63 - 1 then reaches the database (SQLite
raises ``OverflowError``: a 500). Here it matches no URL: the 404 envelope. Imported by each app's
``urls.py``, which registers it once."""

from __future__ import annotations

from django.urls import register_converter

__all__ = ["MAX_ID", "IdConverter"]

#: The largest id a row can have (a 64-bit signed integer, SQLite's and PostgreSQL's bigint).
MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("not an id")  # Django: this URL does not match
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
