"""Move DRF's plain-text tokens (``authtoken_token``, one per learner, before device tokens) into hashed device
tokens, so a client signed in before the upgrade keeps working, then drop the plain-text table.

knox checks a token by its SHA-512 digest and its first 15 characters, whatever its length, so an old 40-hex
key becomes a device token named "legacy token" without the client noticing. Read by raw SQL: the
``rest_framework.authtoken`` app is no longer installed."""

from django.db import migrations
from knox.crypto import hash_token
from knox.settings import CONSTANTS

LEGACY_TABLE = "authtoken_token"


def legacy_tokens_import(apps, schema_editor):  # type: ignore[no-untyped-def]
    conn = schema_editor.connection
    if LEGACY_TABLE not in conn.introspection.table_names():
        return
    DeviceToken = apps.get_model("accounts", "DeviceToken")
    qn = conn.ops.quote_name
    with conn.cursor() as cur:
        cur.execute(f"SELECT {qn('key')}, {qn('user_id')}, {qn('created')} FROM {qn(LEGACY_TABLE)}")
        rows = cur.fetchall()
    for key, user_id, created in rows:
        token = DeviceToken(
            user_id=user_id,
            name="legacy token",
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            digest=hash_token(key),
            expiry=None,
        )
        token.save()
        DeviceToken.objects.filter(pk=token.pk).update(created=created)  # auto_now_add set it to now
    schema_editor.execute(f"DROP TABLE {qn(LEGACY_TABLE)}")
    schema_editor.execute(f"DELETE FROM {qn('django_migrations')} WHERE {qn('app')} = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_device_tokens")]

    operations = [migrations.RunPython(legacy_tokens_import, migrations.RunPython.noop)]
