"""The deck admin pages render, with their annotations and filters."""

from __future__ import annotations

import pytest

from dlquiz.decks.services import deck_load, notes_import
from tests.dlquiz.decks.conftest import card
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_changelists_render_with_counts_and_filters(client, django_user_model, content):
    content.write("a.cards", "卷积", card("a.one"), card("a.two", kind="basic+reverse"))
    deck_load()
    notes_import(user=make_user(), deck_name="我的笔记", files=[("n.md", "# 标题\n正文。\n".encode())])
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456789")
    client.force_login(admin)
    deck_page = client.get("/admin/decks/deck/")
    assert deck_page.status_code == 200
    assert deck_page.context["cl"].result_count == 2
    assert sorted((d.name, d.n_active) for d in deck_page.context["cl"].result_list) == [
        ("卷积", 3),
        ("我的笔记", 1),
    ]
    bundled = client.get("/admin/decks/card/", {"deck__owner__isempty": "1", "kind__exact": "reverse"})
    assert bundled.status_code == 200
    assert [c.uid for c in bundled.context["cl"].result_list] == ["a.two~r"]
    assert client.get("/admin/decks/enrollment/").status_code == 200
