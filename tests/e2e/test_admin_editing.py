"""An editor in the admin, in a real Chromium under the app's Content-Security-Policy: edits a card's
LaTeX and sees the live preview (the learner's own renderer) change, saves an invalid formula and gets
KaTeX's message next to the field, saves a valid one, finds the change in the history and reverts it.
Desktop screenshots in test-artifacts/screenshots/admin-*.png."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

from tests.dlquiz.decks.conftest import need_node
from tests.e2e.conftest import DESKTOP, SCREENSHOTS

pytestmark = pytest.mark.e2e

PASSWORD = "editor-pw-2026"


def _editor() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    # a transactional test's flush removes the group the migration made: make it again the same way
    migration = importlib.import_module("dlquiz.decks.migrations.0003_editors_group")
    group, _ = Group.objects.get_or_create(name=migration.EDITORS)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="decks", codename__in=migration.PERMISSIONS)
    )
    user = get_user_model().objects.create_user("editor", "editor@example.com", PASSWORD, is_staff=True)
    user.groups.add(group)


def _shot(pg: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.set_viewport_size(DESKTOP)
    pg.screenshot(path=str(SCREENSHOTS / f"admin-{name}-desktop.png"), full_page=True)


def test_editor_edits_latex_with_live_preview_validation_history_and_revert(
    page: Any, app_server: str, small_deck: dict
) -> None:
    need_node()
    from dlquiz.decks.models import Card

    _editor()
    card = next(c for c in small_deck["cards"] if c.uid == "e2e.basic-2")
    original = card.back
    change_url = f"{app_server}/admin/decks/card/{card.pk}/change/"

    page.goto(f"{app_server}/admin/login/?next=/admin/decks/card/{card.pk}/change/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(change_url)

    # the preview is the learner's card: front, then the back with KaTeX's rendering
    preview_back = page.locator("#card-preview .answer .back")
    preview_back.locator(".katex").first.wait_for()
    assert "这里" in preview_back.inner_text()
    _shot(page, "card-page")

    # typing LaTeX redraws the preview
    page.fill("#id_back", r"分式 $\frac{a}{b}$ 与根号 $\sqrt{x}$")
    preview_back.locator(".katex .mfrac").wait_for()
    preview_back.locator(".katex .sqrt").wait_for()
    assert "分式" in preview_back.inner_text()

    # an invalid formula: the preview shows KaTeX's error, saving refuses with the message at the field
    page.fill("#id_back", r"坏公式 $\frac{a}{$")
    preview_back.locator(".katex-error").wait_for()
    page.click("input[name=_continue]")
    error = page.locator(".field-back .errorlist")
    error.wait_for()
    assert "KaTeX cannot parse" in error.inner_text()
    _shot(page, "invalid-formula")
    assert Card.objects.get(pk=card.pk).back == original

    # a valid one is saved
    page.fill("#id_back", r"改好的 $\frac{K^2}{2}$")
    page.click("input[name=_continue]")
    page.locator(".messagelist .success").wait_for()
    assert Card.objects.get(pk=card.pk).back == r"改好的 $\frac{K^2}{2}$"

    # the history shows who changed what, with the diff
    page.click("a.historylink")
    page.wait_for_url(re.compile(r".*/history/$"))
    table = page.locator("#change-history")
    assert "editor" in table.inner_text()
    assert r"改好的 $\frac{K^2}{2}$" in table.inner_text() and original in table.inner_text()
    _shot(page, "history")

    # revert to the version before the edit
    page.locator("#change-history tbody tr").last.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/history/\d+/$"))
    assert page.locator("#id_back").input_value() == original
    _shot(page, "revert-form")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()
    reverted = Card.objects.get(pk=card.pk)
    assert reverted.back == original
    assert reverted.history.first().history_user.username == "editor"
    assert reverted.history.count() == 3  # before the first edit, the edit, the revert
    page.goto(f"{app_server}/admin/decks/card/{card.pk}/history/")
    assert page.locator("#change-history tbody tr").count() == 3
    _shot(page, "history-after-revert")

    # an exercise card: its variants rendered like the learner's, and the card checked
    exercise = next(c for c in small_deck["cards"] if c.uid == "e2e.ex-0")
    page.goto(f"{app_server}/admin/decks/card/{exercise.pk}/change/")
    variants = page.locator("#exercise-variants-preview .variant-preview")
    variants.first.locator(".variant-solution .katex").first.wait_for()
    assert variants.count() == 4
    page.click("input[name=_check_card]")
    message = page.locator(".messagelist .success")
    message.wait_for()
    assert "8 variants, 8 own answers" in message.inner_text() and "100 random inputs" in message.inner_text()
    _shot(page, "exercise-card")

    # the card list with its statistics columns and filters
    page.goto(f"{app_server}/admin/decks/card/")
    page.click("#toggle-nav-sidebar")  # the admin's own sidebar toggle: the whole table in view
    header = page.locator("#result_list thead").inner_text().lower()  # upper-cased by the admin css
    assert "reviews" in header and "mean r" in header
    assert "again rate" in page.locator("#changelist-filter").inner_text().lower()
    _shot(page, "card-list")
