"""The Anki import task (default queue): it runs one import and reports on its row
(``services.anki_import_run``). ``acks_late`` + ``reject_on_worker_lost``: a worker that dies mid-import
leaves the message to be delivered again, and the import, idempotent by card uids and client review ids,
finishes without duplicates. Whatever stops it marks the row failed (with a message for the learner), so
the web never polls a dead import. Its own time limits: a large collection's history takes longer than the
global limits allow a reminder."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from dlquiz.errors import ServiceError
from dlquiz.interop.services import anki_import_fail, anki_import_run

SOFT_TIME_LIMIT = 600
TIME_LIMIT = 660


@shared_task(
    name="dlquiz.interop.tasks.anki_import_task",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def anki_import_task(import_id: int) -> str:
    try:
        return anki_import_run(import_id=import_id).status
    except SoftTimeLimitExceeded:
        anki_import_fail(import_id=import_id, error="导入超时 / the import took too long")
        return "failed"
    except ServiceError as exc:  # e.g. a card of the package already in another of the learner's decks
        anki_import_fail(import_id=import_id, error=exc.message)
        return "failed"
    except Exception as exc:
        # Never leave the row "running" for the web to poll forever; the error goes to the worker's log too.
        anki_import_fail(import_id=import_id, error=f"导入出错 / the import failed: {type(exc).__name__}")
        raise
