"""Device tokens on knox's own token model: a ``Device`` names each ``knox.AuthToken``.

(0001 had swapped knox's token model for one of ours, but knox's migrations create their own table anyway, and
that table, unknown to Django's model registry, made PostgreSQL refuse to truncate the user table.) The tokens
0001/0002 stored, and DRF's plain-text tokens if 0002 did not import them, move to knox's table as digests, each
with a device; then our table goes."""

import django.db.models.deletion
from django.db import migrations, models
from knox.crypto import hash_token
from knox.settings import CONSTANTS

LEGACY_TABLE = "authtoken_token"


def _store(apps, *, user_id, digest, token_key, created, expiry, name):  # type: ignore[no-untyped-def]
    AuthToken = apps.get_model("knox", "AuthToken")
    Device = apps.get_model("accounts", "Device")
    token = AuthToken(digest=digest, token_key=token_key, user_id=user_id, expiry=expiry)
    token.save()
    AuthToken.objects.filter(pk=digest).update(created=created)  # auto_now_add set it to now
    Device.objects.create(token_id=digest, name=name)


def tokens_move(apps, schema_editor):  # type: ignore[no-untyped-def]
    DeviceToken = apps.get_model("accounts", "DeviceToken")
    for t in DeviceToken.objects.all():
        _store(
            apps,
            user_id=t.user_id,
            digest=t.digest,
            token_key=t.token_key,
            created=t.created,
            expiry=t.expiry,
            name=t.name,
        )
    legacy_tokens_import(apps, schema_editor)


def legacy_tokens_import(apps, schema_editor):  # type: ignore[no-untyped-def]
    """DRF's plain-text tokens (one per learner, before device tokens) become digests named "legacy token", so
    a client signed in before the upgrade keeps working (knox finds a token by its digest, whatever its
    length); then the plain-text table is dropped. Read by raw SQL: ``rest_framework.authtoken`` is gone."""
    conn = schema_editor.connection
    if LEGACY_TABLE not in conn.introspection.table_names():
        return
    qn = conn.ops.quote_name
    with conn.cursor() as cur:
        cur.execute(f"SELECT {qn('key')}, {qn('user_id')}, {qn('created')} FROM {qn(LEGACY_TABLE)}")
        rows = cur.fetchall()
    for key, user_id, created in rows:
        _store(
            apps,
            user_id=user_id,
            digest=hash_token(key),
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            created=created,
            expiry=None,
            name="legacy token",
        )
    schema_editor.execute(f"DROP TABLE {qn(LEGACY_TABLE)}")
    schema_editor.execute(f"DELETE FROM {qn('django_migrations')} WHERE {qn('app')} = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_legacy_drf_tokens"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.CreateModel(
            name="Device",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="the device, as the learner named it at sign-in", max_length=100
                    ),
                ),
                (
                    "token",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="device",
                        to="knox.authtoken",
                    ),
                ),
            ],
        ),
        migrations.RunPython(tokens_move, migrations.RunPython.noop),
        migrations.DeleteModel(name="DeviceToken"),
    ]
