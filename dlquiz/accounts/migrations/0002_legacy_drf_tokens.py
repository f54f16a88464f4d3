"""Formerly the import of DRF's plain-text tokens into 0001's table; 0003 does it now, into knox's token table
(a database that ran this step has its imported tokens moved by 0003 too)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_device_tokens")]

    operations: list[migrations.operations.base.Operation] = []
