"""Editors in the admin: who reaches it, the card form's checks, history with diff and revert, the
reverse card following its card, and the exercise card's variants and check."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import deck_load
from tests.dlquiz.decks.conftest import card, need_node
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-editor-12345"


@pytest.fixture
def people(django_user_model):
    owner = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    editor = django_user_model.objects.create_user("ed", "ed@example.com", PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="editors"))
    learner = make_user("learner")
    return {"owner": owner, "editor": editor, "learner": learner}


@pytest.fixture
def bundled(content):
    content.write(
        "a.cards",
        "卷积",
        card("a.one", front="卷积核 $k$ 的参数量？", back="$k^2 C_{in} C_{out}$"),
        card("a.two", kind="basic+reverse", front="正面", back="反面"),
    )
    deck_load()
    return Card.objects.get(uid="a.one")


def _form(c: Card, **changes) -> dict[str, str]:
    data = {
        "deck": str(c.deck_id),
        "kind": c.kind,
        "topics": " ".join(c.topics),
        "tags": " ".join(c.tags),
        "front": c.front,
        "back": c.back,
        "family": c.family,
        "params": "{}",
        "position": str(c.position),
    }
    data.update(changes)
    return data


def test_the_editors_group_can_edit_decks_and_cards_and_nothing_else():
    perms = Group.objects.get(name="editors").permissions.all()
    assert sorted(f"{p.content_type.app_label}.{p.codename}" for p in perms) == [
        "decks.add_card",
        "decks.add_deck",
        "decks.change_card",
        "decks.change_deck",
        "decks.view_card",
        "decks.view_deck",
    ]
    assert Permission.objects.filter(codename="delete_card").exists()  # exists, but not theirs


@pytest.mark.parametrize(
    ("who", "card_page", "users_page", "logs_page"),
    [
        ("owner", 200, 200, 200),
        ("editor", 200, 403, 403),
        ("learner", 302, 302, 302),
        ("anonymous", 302, 302, 302),
    ],
)
def test_who_reaches_which_admin_page(client, people, bundled, who, card_page, users_page, logs_page):
    if who != "anonymous":
        client.force_login(people[who])
    url = f"/admin/decks/card/{bundled.pk}/change/"
    page = client.get(url)
    assert page.status_code == card_page
    if card_page == 302:
        assert page["Location"].startswith("/admin/login/")
        assert client.get("/admin/").status_code == 302
    assert client.get("/admin/auth/user/").status_code == users_page
    assert client.get("/admin/study/reviewlog/").status_code in (logs_page, 404)
    # a change is saved only by those who may edit
    client.post(url, _form(bundled, back="改过的 $k^2$"))
    bundled.refresh_from_db()
    assert (bundled.back == "改过的 $k^2$") is (card_page == 200)


def test_an_invalid_card_is_not_saved_and_the_message_is_next_to_its_field(client, people, bundled):
    client.force_login(people["editor"])
    url = f"/admin/decks/card/{bundled.pk}/change/"
    page = client.post(url, _form(bundled, topics="999-9999", back=""))
    assert page.status_code == 200
    errors = page.context["adminform"].form.errors
    assert errors["topics"] == ["unknown topic 999-9999"]
    assert errors["back"] == ["empty back"]
    assert b"unknown topic 999-9999" in page.content
    bundled.refresh_from_db()
    assert bundled.topics == ["900-0001"] and bundled.back == "$k^2 C_{in} C_{out}$"


def test_latex_that_katex_cannot_parse_is_refused_on_its_field(client, people, bundled):
    need_node()
    client.force_login(people["editor"])
    url = f"/admin/decks/card/{bundled.pk}/change/"
    page = client.post(url, _form(bundled, back=r"$\frac{1}{$"))
    assert page.status_code == 200
    [message] = page.context["adminform"].form.errors["back"]
    assert message.startswith(r"back: KaTeX cannot parse $\frac{1}{$")
    bundled.refresh_from_db()
    assert bundled.back == "$k^2 C_{in} C_{out}$"
    page = client.post(url, _form(bundled, back=r"$\frac{1}{2}$"))
    assert page.status_code == 302
    bundled.refresh_from_db()
    assert bundled.back == r"$\frac{1}{2}$"


def test_an_exercise_cards_family_and_params_are_checked(client, people, bundled):
    client.force_login(people["editor"])
    url = f"/admin/decks/card/{bundled.pk}/change/"
    page = client.post(url, _form(bundled, kind="exercise", family="no_such_family", back=""))
    assert page.context["adminform"].form.errors["family"] == ["unknown engine family 'no_such_family'"]
    page = client.post(
        url, _form(bundled, kind="exercise", family="conv2d_output_size", params='{"stride": [1, 99]}')
    )
    assert page.context["adminform"].form.errors["params"] == ["params: stride must lie in [1, 4], not 99"]
    assert Card.objects.get(pk=bundled.pk).kind == "basic"


def test_history_records_who_and_what_shows_the_diff_and_reverts(client, people, bundled):
    client.force_login(people["editor"])
    url = f"/admin/decks/card/{bundled.pk}/change/"
    assert client.post(url, _form(bundled, back="第二版")).status_code == 302
    latest = bundled.history.first()
    assert latest.history_user == people["editor"] and latest.back == "第二版"
    assert latest.history_type == "~"
    before = latest.prev_record
    assert before is not None and before.back == "$k^2 C_{in} C_{out}$"  # load_content's record
    assert before.history_change_reason == "load_content"
    page = client.get(f"/admin/decks/card/{bundled.pk}/history/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "第二版" in text and "$k^2 C_{in} C_{out}$" in text and "ed" in text
    # revert: the old version's form, posted, goes through the same checks and save
    revert_url = f"/admin/decks/card/{bundled.pk}/history/{before.history_id}/"
    form = client.get(revert_url)
    assert form.status_code == 200 and "$k^2 C_{in} C_{out}$" in form.content.decode()
    assert client.post(revert_url, _form(bundled, back=before.back)).status_code == 302
    bundled.refresh_from_db()
    assert bundled.back == "$k^2 C_{in} C_{out}$"
    assert bundled.history.first().history_user == people["editor"]
    assert bundled.history.count() == 3


def test_the_reverse_card_follows_its_card_and_is_read_only(client, people, bundled):
    client.force_login(people["editor"])
    two = Card.objects.get(uid="a.two")
    assert client.post(f"/admin/decks/card/{two.pk}/change/", _form(two, front="新正面")).status_code == 302
    rev = Card.objects.get(uid="a.two~r")
    assert (rev.front, rev.back) == ("反面", "新正面")
    assert rev.history.first().history_user == people["editor"]
    page = client.get(f"/admin/decks/card/{rev.pk}/change/")
    assert "front" not in page.context["adminform"].form.fields


def test_the_card_page_links_the_preview_entry_and_has_no_inline_script(
    client, people, bundled, settings, tmp_path
):
    dist = tmp_path / "dist"
    (dist / ".vite").mkdir(parents=True)
    (dist / ".vite" / "manifest.json").write_text(
        '{"src/admin/preview.tsx": {"file": "assets/admin-preview-X.js", "imports": ["_shared.js"]},'
        ' "_shared.js": {"file": "assets/shared-Y.js", "css": ["assets/shared-Y.css"]}}'
    )
    settings.FRONTEND_DIST = dist
    client.force_login(people["editor"])
    page = client.get(f"/admin/decks/card/{bundled.pk}/change/")
    html = page.content.decode()
    assert '<script type="module" src="/static/assets/admin-preview-X.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/assets/shared-Y.css">' in html
    assert 'id="card-preview"' in html
    import re

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all("src=" in attrs or 'type="application/json"' in attrs for attrs, _ in scripts)
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_a_card_written_in_bulk_gets_its_stored_state_recorded_before_the_first_edit(client, people):
    from tests.factories import make_deck

    deck = make_deck(1)  # bulk_create: no history
    c = deck.cards.get()
    assert c.history.count() == 0
    client.force_login(people["editor"])
    assert client.post(f"/admin/decks/card/{c.pk}/change/", _form(c, back="新答案")).status_code == 302
    edit, baseline = c.history.all()[:2]
    assert (baseline.back, baseline.history_change_reason, baseline.history_user) == (
        c.back,
        "before the first edit",
        None,
    )
    assert (edit.back, edit.history_user) == ("新答案", people["editor"])
    assert [(d.field, d.old, d.new) for d in edit.diff_against(baseline).changes] == [
        ("back", c.back, "新答案")
    ]


def test_an_editor_adds_a_card_that_learners_get_and_load_content_keeps(client, people, bundled):
    from dlquiz.decks.services import bundled_decks_enroll
    from dlquiz.study.models import CardState

    bundled_decks_enroll(user=people["learner"])
    client.force_login(people["editor"])
    data = _form(bundled, front="新卡？", back="新答案。")
    page = client.post("/admin/decks/card/add/", {**data, "uid": "Bad Id"})
    assert page.context["adminform"].form.errors["uid"][0].startswith("bad card id 'Bad Id'")
    assert client.post("/admin/decks/card/add/", {**data, "uid": "a.new"}).status_code == 302
    new = Card.objects.get(uid="a.new")
    assert new.loaded_hash == "" and new.history.first().history_user == people["editor"]
    assert CardState.objects.filter(user=people["learner"], card=new).exists()
    result = deck_load()  # not in the files yet: kept, reported
    assert [c.split(": ")[1] for c in result.conflicts] == ["card a.new"]
    assert not Card.objects.get(uid="a.new").retired
    page = client.get(f"/admin/decks/card/{new.pk}/change/")
    assert "uid" not in page.context["adminform"].form.fields  # ids are stable forever


def test_a_deck_change_is_recorded_with_its_editor(client, people, bundled):
    deck = bundled.deck
    client.force_login(people["editor"])
    data = {"slug": deck.slug, "name": "卷积（改）", "source": deck.source, "position": str(deck.position)}
    assert client.post(f"/admin/decks/deck/{deck.pk}/change/", data).status_code == 302
    record = deck.history.first()
    assert (record.name, record.history_user) == ("卷积（改）", people["editor"])
    assert "卷积（改）" in client.get(f"/admin/decks/deck/{deck.pk}/history/").content.decode()


def test_a_decks_owner_cannot_be_changed_in_the_admin(client, people, bundled):
    """Editors edit decks, not whose they are: giving a learner's deck to someone else (their states stay
    behind) or a bundled deck to a learner (load_content would then make a second deck of its slug) is
    not a field of the form."""
    from tests.factories import make_deck

    own = make_deck(1, owner=people["learner"], name="我的")
    client.force_login(people["owner"])  # a learner's deck is the superuser's to see, not the editors'
    for deck, owner in ((own, people["learner"]), (bundled.deck, None)):
        data = {"slug": deck.slug, "name": deck.name, "source": deck.source, "position": str(deck.position)}
        page = client.post(f"/admin/decks/deck/{deck.pk}/change/", {**data, "owner": str(people["owner"].pk)})
        assert page.status_code == 302
        deck.refresh_from_db()
        assert deck.owner == owner
    page = client.get(f"/admin/decks/deck/{own.pk}/change/")
    assert "owner" not in page.context["adminform"].form.fields


def test_a_card_stays_within_its_owners_decks(client, people, bundled):
    """A bundled card moved into a learner's deck would leave content/ at the next export (and come back
    at the next load); a learner's card moved into another learner's deck would change hands."""
    from tests.factories import make_deck, make_user

    mine = make_deck(1, owner=people["learner"], name="我的")
    theirs = make_deck(1, owner=make_user("other"), name="别人的")
    client.force_login(people["editor"])
    page = client.post(f"/admin/decks/card/{bundled.pk}/change/", _form(bundled, deck=str(mine.pk)))
    assert page.status_code == 200 and page.context["adminform"].form.errors["deck"]
    own_card = mine.cards.get()
    data = {**_form(own_card, deck=str(theirs.pk)), "topics": ""}
    client.force_login(people["owner"])  # learners' cards are the superuser's to see, not the editors'
    page = client.post(f"/admin/decks/card/{own_card.pk}/change/", data)
    assert page.status_code == 200 and page.context["adminform"].form.errors["deck"]
    assert Card.objects.get(pk=bundled.pk).deck_id == bundled.deck_id
    assert Card.objects.get(pk=own_card.pk).deck_id == mine.pk
    other_bundled = make_deck(1)  # between bundled decks a card may move (export_content follows it)
    client.force_login(people["editor"])
    page = client.post(f"/admin/decks/card/{bundled.pk}/change/", _form(bundled, deck=str(other_bundled.pk)))
    assert page.status_code == 302
    assert Card.objects.get(pk=bundled.pk).deck_id == other_bundled.pk


def test_a_bundled_decks_slug_and_source_stay_load_contents(client, people, bundled):
    """load_content finds a bundled deck by the slug of its file: a slug changed in the admin made the
    next load create a second deck and move the cards into it, silently."""
    deck = bundled.deck
    client.force_login(people["editor"])
    data = {
        "slug": "renamed",
        "name": "卷积（改）",
        "source": "content/other.cards",
        "position": str(deck.position),
    }
    assert client.post(f"/admin/decks/deck/{deck.pk}/change/", data).status_code == 302
    deck.refresh_from_db()
    assert (deck.slug, deck.source, deck.name) == ("a", "content/a.cards", "卷积（改）")
    deck_load()
    assert Deck.objects.filter(owner__isnull=True).count() == 1
    assert Card.objects.get(uid="a.one").deck_id == deck.pk


def test_a_bundled_card_cannot_be_made_a_reverse_card_by_hand(client, people, bundled, settings, tmp_path):
    """``reverse`` is the kind of the ``~r`` card load_content makes from a basic+reverse card; the content
    format has no such kind, so a bundled card given it by hand could not be exported."""
    from dlquiz.decks.export import content_export

    client.force_login(people["editor"])
    url = f"/admin/decks/card/{bundled.pk}/change/"
    page = client.post(url, _form(bundled, kind="reverse"))
    assert page.status_code == 200 and page.context["adminform"].form.errors["kind"]
    page = client.post("/admin/decks/card/add/", {**_form(bundled, kind="reverse"), "uid": "a.rev"})
    assert page.status_code == 200 and page.context["adminform"].form.errors["kind"]
    assert Card.objects.get(pk=bundled.pk).kind == "basic" and not Card.objects.filter(uid="a.rev").exists()
    content_export()  # the deck as it stands can be written


def test_line_breaks_posted_by_a_browser_are_stored_as_in_the_files(client, people, bundled):
    """A browser posts a textarea's line breaks as CRLF: stored so, the card could not be exported (the
    file format reads them back as LF, so export_content refused the whole export)."""
    from dlquiz.decks.export import content_export

    client.force_login(people["editor"])
    url = f"/admin/decks/card/{bundled.pk}/change/"
    data = _form(bundled, front="第一行\r\n第二行 $k$？", back="答：\r\n\r\n$k^2$\r旧式换行")
    assert client.post(url, data).status_code == 302
    bundled.refresh_from_db()
    assert (bundled.front, bundled.back) == ("第一行\n第二行 $k$？", "答：\n\n$k^2$\n旧式换行")
    result = content_export()
    assert result.written == 1
    assert deck_load().conflicts == []  # the file now holds what the database holds
    bundled.refresh_from_db()
    assert bundled.back == "答：\n\n$k^2$\n旧式换行"


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("back", "答：\n% 这一行在文件里是注释"),
        ("front", "问题？\nback: 像一个字段"),
        ("back", "答\n@card x.y"),
    ],
)
def test_text_the_content_files_would_read_otherwise_is_refused_on_its_field(
    client, people, bundled, field, text
):
    """A line starting with % (a comment), @card/@deck or a field name ('back:') would be read back as
    something else: export_content would refuse the whole export, so the form refuses the card."""
    from dlquiz.decks.export import content_export

    client.force_login(people["editor"])
    page = client.post(f"/admin/decks/card/{bundled.pk}/change/", _form(bundled, **{field: text}))
    assert page.status_code == 200
    [message] = page.context["adminform"].form.errors[field]
    assert "content file" in message
    content_export()  # still writable


def test_editors_see_the_bundled_deck_but_not_learners_own_decks_and_cards(client, people, bundled):
    """A learner's own deck is private: an editor (staff in the editors group) neither lists nor opens nor
    edits it in the admin, nor moves a bundled card into it; the superuser still can."""
    from tests.factories import make_deck

    mine = make_deck(1, owner=people["learner"], name="私人卡组")
    own_card = mine.cards.get()
    client.force_login(people["editor"])
    cards = client.get("/admin/decks/card/").content.decode()
    decks = client.get("/admin/decks/deck/").content.decode()
    assert bundled.front in cards and own_card.front not in cards
    assert "私人卡组" not in decks
    for url in (f"/admin/decks/card/{own_card.pk}/change/", f"/admin/decks/deck/{mine.pk}/change/"):
        page = client.get(url)
        assert page.status_code == 302 and page["Location"].startswith("/admin/"), url  # "does not exist"
    page = client.get(f"/admin/decks/card/{bundled.pk}/change/")
    assert str(mine.pk) not in [
        str(c[0].value) for c in page.context["adminform"].form.fields["deck"].choices if c[0]
    ]
    before = (own_card.front, own_card.back)
    client.post(f"/admin/decks/card/{own_card.pk}/change/", {**_form(own_card, front="改了"), "topics": ""})
    own_card.refresh_from_db()
    assert (own_card.front, own_card.back) == before
    client.force_login(people["owner"])
    assert own_card.front in client.get("/admin/decks/card/").content.decode()
    assert client.get(f"/admin/decks/card/{own_card.pk}/change/").status_code == 200
