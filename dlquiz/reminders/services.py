"""Daily review reminders: one e-mail per learner per local day, guaranteed by a unique row."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from dlquiz.reminders.models import ReminderSent
from dlquiz.study.models import StudySettings
from dlquiz.study.selectors import deck_due_counts
from dlquiz.study.zones import zone_get

log = logging.getLogger(__name__)
_SALT = "dlquiz.reminders.unsubscribe"


class UnsubscribeError(ValueError):
    pass


def unsubscribe_token(*, user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=_SALT)


def reminders_unsubscribe(*, token: str) -> int:
    try:
        data = signing.loads(token, salt=_SALT)
        user_id = int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise UnsubscribeError("退订链接无效 / invalid unsubscribe link") from None
    updated = StudySettings.objects.filter(user_id=user_id).update(email_reminders=False)
    if not updated:
        raise UnsubscribeError("退订链接无效 / invalid unsubscribe link")
    return user_id


def reminders_candidates(*, now: dt.datetime) -> list[tuple[int, dt.date]]:
    """(user id, local date) of learners whose reminder time has passed today and who have had none today."""
    out = []
    rows = StudySettings.objects.filter(email_reminders=True, user__is_active=True).exclude(user__email="")
    for s in rows.only("user_id", "timezone", "reminder_time"):
        zone = zone_get(s.timezone)
        if zone is None:  # one learner's bad row must not stop everyone else's reminders
            log.error("reminders: user %s has an unknown time zone %r; skipped", s.user_id, s.timezone)
            continue
        local = now.astimezone(zone)
        if local.time() >= s.reminder_time:
            out.append((s.user_id, local.date()))
    if not out:
        return []
    sent = set(
        ReminderSent.objects.filter(
            user_id__in=[u for u, _ in out], local_date__in={d for _, d in out}
        ).values_list("user_id", "local_date")
    )
    return [(u, d) for u, d in out if (u, d) not in sent]


def reminder_send(*, user_id: int, local_date: dt.date, now: dt.datetime) -> bool:
    """Send the reminder for ``local_date`` unless one was already recorded. Returns True if mailed.

    The row is inserted in the same transaction as the e-mail is handed to the mail server: a failed
    send rolls the row back (the task retries), a second run or a second beat finds the row and stops.
    """
    user = get_user_model().objects.select_related("study_settings").get(pk=user_id)
    prefs = user.study_settings
    if not prefs.email_reminders or not user.email:
        return False
    zone = zone_get(prefs.timezone)
    if zone is None:
        log.error("reminders: user %s has an unknown time zone %r; not sent", user_id, prefs.timezone)
        return False
    local = now.astimezone(zone)
    if local.date() != local_date:
        return False  # a stale task from another day: that day's chance is gone
    counts = deck_due_counts(user=user, now=now)
    due_total = sum(c["due"] for c in counts)
    try:
        with transaction.atomic():
            ReminderSent.objects.create(user=user, local_date=local_date, due_count=due_total)
            if due_total == 0:
                return False
            lines = [f"- {c['name']}: {c['due']}" for c in counts if c["due"]]
            link = f"{settings.SITE_URL}/study"
            unsub = settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(user_id=user.pk)])
            body = (
                f"{user.get_username()}，你今天有 {due_total} 张卡片待复习 / {due_total} cards are due today:\n\n"
                + "\n".join(lines)
                + f"\n\n开始复习 / Study now: {link}\n\n退订 / Unsubscribe: {unsub}\n"
            )
            send_mail(f"dlquiz：今天有 {due_total} 张卡片待复习", body, None, [user.email])
    except IntegrityError:
        return False
    log.info("reminder sent to user %s for %s (%s due)", user_id, local_date, due_total)
    return True
