"""Production settings refuse to start without their required variables, naming the missing one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FULL = {
    "DLQUIZ_ENV": "production",
    "SECRET_KEY": "k" * 50,
    "DATABASE_URL": "postgres://u@db:5432/x",
    "REDIS_URL": "redis://cache:6379/0",
    "ALLOWED_HOSTS": "dlquiz.example",
}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in FULL and k not in ("DEBUG", "CI")}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.CELERY_BROKER_URL)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dlquiz.settings", **env},
        timeout=120,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"])
def test_production_start_stops_naming_the_missing_variable(missing):
    env = {k: v for k, v in FULL.items() if k != missing}
    proc = _start(env)
    assert proc.returncode != 0
    assert f"{missing} is required when DLQUIZ_ENV=production" in proc.stderr


def test_production_with_everything_set_has_debug_off_and_redis_broker():
    proc = _start(FULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "redis://cache:6379/0"]


def test_embedded_default_has_debug_on_and_filesystem_broker(tmp_path):
    proc = _start({"DLQUIZ_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": ""})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "filesystem://"]
    assert (tmp_path / "broker" / "queue").is_dir()
