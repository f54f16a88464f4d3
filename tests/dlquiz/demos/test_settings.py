"""The demonstrations' settings: per-demo time limits parsed from DEMO_TIME_LIMITS, nonsense refused at start,
and Redis's visibility timeout longer than any demo may run (a live run's message never comes back)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CODE = (
    "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
    "[s.DEMO_TIME_LIMITS, s.DEMO_SOFT_TIME_LIMIT, s.DEMO_TIME_LIMIT,"
    " s.CELERY_BROKER_TRANSPORT_OPTIONS.get('visibility_timeout'), s.CELERY_TASK_ROUTES]))"
)


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DEMO_") and k not in ("CI", "REDIS_URL", "CELERY_VISIBILITY_TIMEOUT")
    }
    return subprocess.run(
        [sys.executable, "-c", CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "dlquiz.settings",
            "REDIS_URL": "redis://cache:6379/0",
            **env,
        },
        timeout=120,
    )


def test_defaults_and_per_demo_limits():
    proc = _settings(DEMO_TIME_LIMITS="overfitting=40:300, receptive_field=20:25")
    assert proc.returncode == 0, proc.stderr
    limits, soft, hard, visibility, routes = json.loads(proc.stdout)
    assert limits == {"overfitting": [40, 300], "receptive_field": [20, 25]}
    assert (soft, hard) == (30, 45)
    assert visibility >= 300 + 30  # the longest demo hard limit, plus a margin
    assert routes["dlquiz.demos.tasks.demo_run_task"] == {"queue": "demos"}


def test_the_visibility_timeout_can_be_set_shorter():
    """CELERY_VISIBILITY_TIMEOUT (the real-worker tests use a few seconds) replaces the computed value."""
    proc = _settings(CELERY_VISIBILITY_TIMEOUT="5", DEMO_TIME_LIMITS="overfitting=40:300")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[3] == 5


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEMO_TIME_LIMITS": "overfitting=40"}, "is not demo=soft:hard"),
        ({"DEMO_TIME_LIMITS": "overfitting=60:40"}, "need 0 < soft < hard"),
        ({"DEMO_SOFT_TIME_LIMIT": "50"}, "need 0 < DEMO_SOFT_TIME_LIMIT < DEMO_TIME_LIMIT"),
        ({"CELERY_VISIBILITY_TIMEOUT": "0"}, "CELERY_VISIBILITY_TIMEOUT must be > 0 seconds"),
        ({"CELERY_VISIBILITY_TIMEOUT": "-5"}, "CELERY_VISIBILITY_TIMEOUT must be > 0 seconds"),
        ({"CELERY_VISIBILITY_TIMEOUT": "5s"}, "CELERY_VISIBILITY_TIMEOUT must be an integer"),
    ],
)
def test_nonsense_stops_start_up(env, message):
    proc = _settings(**env)
    assert proc.returncode != 0 and message in proc.stderr
