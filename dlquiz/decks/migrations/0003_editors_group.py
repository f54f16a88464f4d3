"""The ``editors`` group: staff who edit the decks and cards in the admin (docs/architecture.md, "Editing
content"). Exactly view/add/change of decks and cards: no deletion (cards are retired, never deleted, so
learners' reviews stay), no users, no review logs. History and revert need no permission of their own
(django-simple-history follows the model's)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

EDITORS = "editors"
PERMISSIONS = [f"{action}_{model}" for model in ("deck", "card") for action in ("view", "add", "change")]


def editors_create(apps: Any, schema_editor: Any) -> None:
    from django.contrib.auth.management import create_permissions

    # Permissions are created after all migrations ran; this migration needs the decks app's now.
    config = apps.get_app_config("decks")
    config.models_module = True  # the historical app registry's stub has none; create_permissions asks
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    perms = list(Permission.objects.filter(content_type__app_label="decks", codename__in=PERMISSIONS))
    assert len(perms) == len(PERMISSIONS), [p.codename for p in perms]
    group.permissions.set(perms)


def editors_delete(apps: Any, schema_editor: Any) -> None:
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("decks", "0002_card_deck_history_loaded_hash"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(editors_create, editors_delete)]
